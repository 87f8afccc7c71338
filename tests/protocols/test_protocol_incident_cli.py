"""The `crisisbot protocol` and `crisisbot incident` commands, run as real subprocesses."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from protocol_support import cli_runner


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli_runner(tmp_path, f"sqlite:///{tmp_path}/cli.db")(*args)


def ok(tmp_path: Path, *args: str) -> str:
    result = run(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def open_drill(tmp_path: Path, incident_id: str) -> None:
    ok(tmp_path, "incident", "open", "--protocol", "gifct-cip", "--title", "T", "--severity",
       "incident", "--id", incident_id, "--drill")  # fmt: skip


def test_protocol_list_show_and_validate(tmp_path: Path) -> None:
    ids = [p["id"] for p in json.loads(ok(tmp_path, "protocol", "list", "--json"))]
    assert ids == ["christchurch-call-crp", "eu-crisis-protocol", "gifct-cip"]
    outline = ok(tmp_path, "protocol", "show", "gifct-cip")
    assert "Stage 1: Situational awareness and assessment" in outline
    shown = json.loads(ok(tmp_path, "protocol", "show", "gifct-cip", "--json"))
    assert shown["stages"][0]["steps"][0]["escalation"] == {
        "after": "15m",
        "notify": ["lead", "communications"],
    }
    bad = tmp_path / "bad.yaml"
    step_line = "      - {id: a, title: A, role: ghost, target: soon}"
    bad.write_text(
        "id: x\nversion: '1'\nname: n\nmodelled_on: m\nseverity_levels: [{id: a, name: A}]\n"
        "roles: [{id: lead, name: L, lead: true}]\nstages:\n  - id: s\n    name: S\n"
        f"    steps:\n{step_line}\n"
    )
    ghost, soon = step_line.index("ghost") + 1, step_line.index("soon") + 1
    result = run(tmp_path, "protocol", "validate", str(bad))
    assert result.returncode == 1
    assert f"{bad}:11:{soon}: step 'a': target: bad duration 'soon'" in result.stderr
    assert f"{bad}:11:{ghost}: step 'a': role: unknown role 'ghost'" in result.stderr
    report = json.loads(run(tmp_path, "protocol", "validate", str(bad), "--json").stdout)
    assert report[0]["ok"] is False and len(report[0]["errors"]) == 2
    assert run(tmp_path, "protocol", "show", "nope").stderr.startswith("Error: no protocol 'nope'")


def test_incident_lifecycle_through_the_cli(tmp_path: Path) -> None:
    opened = json.loads(
        ok(
            tmp_path,
            "incident",
            "open",
            "--protocol",
            "eu-crisis-protocol",
            "--title",
            "Cross-border",
            "--severity",
            "crisis",
            "--json",
        )
    )
    iid = opened["id"]
    assert iid.startswith("inc-") and opened["status"] == "declared"
    assert "Assigned" in ok(
        tmp_path, "incident", "act", iid, "assign", "provider-contact", "p1", "--name", "Pat"
    )
    out = ok(
        tmp_path,
        "incident",
        "act",
        iid,
        "complete",
        "detect",
        "--evidence",
        "seen",
        "--as",
        "p1",
        "--no-admin",
    )
    assert "Completed step" in out
    refused = run(
        tmp_path,
        "incident",
        "act",
        iid,
        "skip",
        "notify-coordinator",
        "--reason",
        "x",
        "--as",
        "p1",
        "--no-admin",
    )
    assert refused.returncode == 1 and refused.stderr.startswith("Error: p1 may not skip")
    refused = run(tmp_path, "incident", "act", iid, "complete", "classify")
    assert refused.returncode == 1 and "has not started" in refused.stderr
    ok(tmp_path, "incident", "act", iid, "activate", "--reason", "EU IRU and Member State")
    ok(tmp_path, "incident", "act", iid, "note", "Europol notified")
    ok(
        tmp_path,
        "incident",
        "act",
        iid,
        "link-hash",
        "e9",
        "--list",
        "eu",
        "--signal",
        "pdq",
        "--value",
        "c" * 64,
    )
    ok(tmp_path, "incident", "act", iid, "match", "e9", "--by", "tiny.example", "--count", "2")
    ok(tmp_path, "incident", "act", iid, "conclude", "--summary", "contained")
    ok(tmp_path, "incident", "act", iid, "close", "--reason", "report filed")
    shown = json.loads(ok(tmp_path, "incident", "show", iid, "--json"))
    assert shown["status"] == "closed" and shown["roles"]["coordinator"] == {"tester": "tester"}
    listed = json.loads(ok(tmp_path, "incident", "list", "--json"))
    assert [i["id"] for i in listed] == [iid]
    assert json.loads(ok(tmp_path, "incident", "list", "--open", "--json")) == []
    assert json.loads(ok(tmp_path, "incident", "verify", iid, "--json"))["ok"] is True
    out_file = tmp_path / "report.html"
    ok(
        tmp_path,
        "incident",
        "export",
        iid,
        "--format",
        "html",
        "--tz",
        "Europe/Paris",
        "--output",
        str(out_file),
    )
    assert "CET" in out_file.read_text() and "Europol notified" in out_file.read_text()
    summary = json.loads(ok(tmp_path, "incident", "transparency", "--format", "json"))
    assert summary["totals"]["matches_reported"] == 2


def test_verify_fails_after_direct_sql_tampering(tmp_path: Path) -> None:
    open_drill(tmp_path, "t1")
    ok(tmp_path, "incident", "act", "t1", "note", "original")
    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute("DROP TRIGGER incident_events_no_update")
        db.execute("UPDATE incident_events SET payload = replace(payload, 'original', 'forged')")
    result = run(tmp_path, "incident", "verify", "t1")
    assert result.returncode == 1
    assert "TAMPERED" in result.stderr and "event 3: content does not match" in result.stderr


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_drill_exports_are_marked(tmp_path: Path, fmt: str) -> None:
    open_drill(tmp_path, "d1")
    assert "DRILL" in ok(tmp_path, "incident", "export", "d1", "--format", fmt)


def test_drill_incident_outputs_mark_every_line_and_record(tmp_path: Path) -> None:
    """docs/incidents.md (exports): everything is marked DRILL, every printed line; `act`,
    `timeline`, `due` and `verify` on a drill incident used to print unmarked lines and records."""
    open_drill(tmp_path, "d1")
    acted = ok(tmp_path, "incident", "act", "d1", "assign", "scribe", "u1", "--name", "Sam")
    texts = {
        "act": acted,
        "note": ok(tmp_path, "incident", "act", "d1", "note", "hello"),
        "timeline": ok(tmp_path, "incident", "timeline", "d1"),
        "due": ok(tmp_path, "incident", "due", "d1"),
        "verify": ok(tmp_path, "incident", "verify", "d1"),
    }
    for name, text in texts.items():
        lines = text.splitlines()
        assert lines, name
        assert all(line.startswith("[DRILL] ") for line in lines), (name, text)
    records = [
        *json.loads(ok(tmp_path, "incident", "act", "d1", "note", "again", "--json")),
        *json.loads(ok(tmp_path, "incident", "timeline", "d1", "--json")),
        *json.loads(ok(tmp_path, "incident", "due", "d1", "--json")),
        json.loads(ok(tmp_path, "incident", "verify", "d1", "--json")),
    ]
    assert records and all(r["drill"] is True for r in records)
    # a real incident stays unmarked, with "drill": false
    ok(tmp_path, "incident", "open", "--protocol", "gifct-cip", "--title", "R", "--severity",
       "incident", "--id", "r1")  # fmt: skip
    assert not ok(tmp_path, "incident", "act", "r1", "note", "x").startswith("[DRILL]")
    assert not ok(tmp_path, "incident", "timeline", "r1").startswith("[DRILL]")
    assert json.loads(ok(tmp_path, "incident", "verify", "r1", "--json"))["drill"] is False
    due = json.loads(ok(tmp_path, "incident", "due", "r1", "--json"))
    assert due and all(e["drill"] is False for e in due)


def test_exported_notes_follow_timeline_corrections(tmp_path: Path) -> None:
    """A corrected note used to keep its old wording in the exports' notes, and a retracted one
    stayed listed as if nothing happened; the notes now show what the timeline shows."""
    ok(tmp_path, "incident", "open", "--protocol", "gifct-cip", "--title", "T", "--severity",
       "incident", "--id", "n1")  # fmt: skip
    ok(tmp_path, "incident", "act", "n1", "note", "Video confirmd")  # entry 3
    ok(tmp_path, "incident", "act", "n1", "note", "Recorded twice")  # entry 4
    ok(tmp_path, "incident", "act", "n1", "note", "Kept as is")  # entry 5
    ok(tmp_path, "incident", "act", "n1", "correct", "--entry", "3", "--text", "Video confirmed",
       "--reason", "typo")  # fmt: skip
    ok(tmp_path, "incident", "act", "n1", "correct", "--entry", "4", "--retract",
       "--reason", "duplicate")  # fmt: skip
    report = json.loads(ok(tmp_path, "incident", "export", "n1", "--format", "json"))
    assert [n["text"] for n in report["notes"]] == ["Video confirmed", "Kept as is"]
    markdown = ok(tmp_path, "incident", "export", "n1", "--format", "md")
    notes = markdown.split("## Notes")[1].split("##")[0]
    assert "Video confirmed" in notes and "Kept as is" in notes
    assert "confirmd" not in notes and "Recorded twice" not in notes
    # the timeline still keeps both originals visible
    assert "~~Note: Recorded twice~~" in markdown and "~~Note: Video confirmd~~" in markdown
