"""Exports: every event appears, drills are marked, times carry dates in the reader's zone."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from protocol_support import VirtualClock, assert_well_formed_html, run_sample_incident

from protocols import (
    IncidentService,
    MemoryEventStore,
    ProtocolError,
    ProtocolLibrary,
    export_incident,
    render_transparency,
)

GOLDEN = Path(__file__).parent / "golden"


async def _sample(library: ProtocolLibrary, *, drill: bool = False) -> IncidentService:
    svc = IncidentService(MemoryEventStore(), library=library, clock=VirtualClock())
    await run_sample_incident(svc, svc.clock, drill=drill)  # type: ignore[arg-type]
    return svc


async def test_markdown_matches_the_golden_file(library: ProtocolLibrary) -> None:
    svc = await _sample(library)
    text = await svc.export("inc-sample", "md", tz="Pacific/Auckland")
    golden = GOLDEN / "incident-sample.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["md", "json", "csv", "html"])
async def test_every_event_is_in_every_format(library: ProtocolLibrary, fmt: str) -> None:
    svc = await _sample(library)
    records = await svc.events("inc-sample")
    text = await svc.export("inc-sample", fmt)
    assert len(records) > 25
    for record in records:
        assert (
            record.hash in text
            or f"| {record.version} |" in text
            or (f"<td>{record.version}</td>" in text)
        ), f"event {record.version} ({record.event_type}) missing from {fmt}"


async def test_csv_has_one_row_per_event_and_json_round_trips(library: ProtocolLibrary) -> None:
    svc = await _sample(library)
    records = await svc.events("inc-sample")
    rows = list(csv.DictReader(io.StringIO(await svc.export("inc-sample", "csv"))))
    assert sorted(int(r["version"]) for r in rows) == [r.version for r in records]
    doc = json.loads(await svc.export("inc-sample", "json"))
    assert [e["hash"] for e in doc["events"]] == [r.hash for r in records]
    assert doc["incident"]["drill"] is False
    assert doc["time_to_activation_seconds"] == 10 * 17 * 60
    outcomes = {s["step_id"]: s["outcome"] for s in doc["steps"]}
    assert outcomes["alert-members"] == "skipped"
    assert outcomes["situational-awareness"] == "late"  # 30m target, done after 68 minutes
    assert outcomes["inform-governments"] == "met"  # 1h after its stage began, done after 51m
    assert outcomes["brief-communications"] == "missed"  # optional, never done, target passed
    assert {h["entry_id"]: h["matches"] for h in doc["hash_entries"]} == {"e-1": 3, "e-2": 0}


async def test_messages_show_their_own_time_in_the_readers_zone(library: ProtocolLibrary) -> None:
    svc = await _sample(library)
    text = await svc.export("inc-sample", "md", tz="Pacific/Auckland")
    # declared 01:40 UTC on 15 March = 14:40 NZDT; the first message was posted 4 minutes
    # before that (14:36 NZDT) and recorded three commands later (+51 minutes, 15:31 NZDT)
    assert "2026-03-15 14:40:00 NZDT" in text
    row = "| 5 | 2026-03-15 14:36:00 NZDT | 2026-03-15 15:31:00 NZDT | crisisbot | Bob: Video"
    assert row in text
    # the timeline is ordered by when things happened, so the message comes first
    assert text.index(row) < text.index("| 1 | 2026-03-15 14:40:00 NZDT")


async def test_drills_are_marked_in_every_format(library: ProtocolLibrary) -> None:
    svc = await _sample(library, drill=True)
    for fmt in ("md", "html", "csv", "json"):
        assert "DRILL" in await svc.export("inc-sample", fmt), fmt
    rows = list(csv.DictReader(io.StringIO(await svc.export("inc-sample", "csv"))))
    assert {r["drill"] for r in rows} == {"DRILL"}


async def test_html_is_self_contained_well_formed_and_printable(library: ProtocolLibrary) -> None:
    html = await (await _sample(library)).export("inc-sample", "html")
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    for external in ("<script", "<link", "src=", "http://", "@import", "url("):
        assert external not in html
    assert_well_formed_html(html)
    printing = html[html.index("@media print") :]
    assert "thead{display:table-header-group}" in printing  # headers repeat on every page
    assert "tr{page-break-inside:avoid}" in printing


async def test_steps_list_their_evidence_and_messages_say_what_became_of_them(
    library: ProtocolLibrary,
) -> None:
    svc = await _sample(library)
    doc = json.loads(await svc.export("inc-sample", "json"))
    evidence = {s["step_id"]: s["evidence"] for s in doc["steps"]}
    assert evidence["assess-criteria"] == ["all four criteria met"]
    texts = {e["version"]: e["text"] for e in doc["timeline"]}
    assert texts[5].endswith("[later edited 1×]") and texts[17].endswith("[later deleted]")
    assert f"[image pdq {'f' * 64}]" in texts[17]  # captured images are shown as their hashes


async def test_bad_format_and_zone_are_refused(library: ProtocolLibrary) -> None:
    svc = await _sample(library)
    state, records = await svc.get("inc-sample"), await svc.events("inc-sample")
    protocol = library.get(state.protocol_id)
    with pytest.raises(ProtocolError, match="unknown export format"):
        export_incident(state, records, protocol, "pdf")
    with pytest.raises(ProtocolError, match="unknown time zone"):
        export_incident(state, records, protocol, "md", tz="Mars/Olympus")


async def test_transparency_summary_counts_real_incidents_only(library: ProtocolLibrary) -> None:
    clock = VirtualClock()
    svc = IncidentService(MemoryEventStore(), library=library, clock=clock)
    await run_sample_incident(svc, clock, incident_id="real")
    await run_sample_incident(svc, clock, incident_id="drill", drill=True)
    summary = await svc.transparency()
    assert [i.incident_id for i in summary.incidents] == ["real"]
    assert summary.drills_excluded == 1
    figures = summary.incidents[0]
    assert (figures.hashes_added, figures.hashes_removed, figures.matches_reported) == (2, 1, 3)
    assert figures.steps_met >= 1 and figures.steps_missed >= 1


async def test_transparency_markdown_names_its_period_with_dates(library: ProtocolLibrary) -> None:
    clock = VirtualClock()
    svc = IncidentService(MemoryEventStore(), library=library, clock=clock)
    await run_sample_incident(svc, clock, incident_id="real")
    assert "Period: all incidents. Incidents counted: 1" in render_transparency(
        await svc.transparency()
    )
    since = clock.now.replace(hour=0, minute=0)
    text = render_transparency(await svc.transparency(since=since), tz="Europe/Paris")
    assert "Period: 2026-03-15 01:00:00 CET to —. Incidents counted: 1" in text
