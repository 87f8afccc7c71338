"""Timeline corrections: given events, when ``CorrectTimelineEntry``, then an event (or a refusal);
and the exports show the corrected entry beside the original, with the chain intact."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from protocol_support import (
    ADMIN,
    BOB,
    CAROL,
    LATER,
    START,
    VirtualClock,
    assert_well_formed_html,
    cli_runner,
    given,
    when,
)

from protocols import (
    HASH_COORDINATOR,
    TIMELINE_RECORDER,
    ActivateIncident,
    Actor,
    AddNote,
    AssignRole,
    Close,
    CompleteStep,
    CorrectTimelineEntry,
    DeclareIncident,
    IncidentClosed,
    IncidentService,
    InvalidTransition,
    MemoryEventStore,
    NotAllowed,
    ProtocolLibrary,
    TimelineEntryCorrected,
)
from protocols.exports.report import fold_corrections
from protocols.state import evolve

REAL_TIME = datetime(2026, 3, 15, 1, 32, tzinfo=UTC)


def with_note() -> list[object]:
    """Commands after the declaration: Bob is scribe (entry 3), Carol hash coordinator (4),
    a note (5)."""
    return [
        AssignRole("scribe", BOB.id, BOB.name, actor=ADMIN),
        AssignRole("hash-coordinator", CAROL.id, CAROL.name, actor=ADMIN),
        AddNote("Board decided at 02:31", actor=ADMIN),
    ]


def test_the_lead_corrects_an_entry_with_a_new_event_that_references_it() -> None:
    state = given(*with_note())  # type: ignore[arg-type]
    [event] = when(
        state, CorrectTimelineEntry(5, "wrong time", "Board decided at 01:32", actor=ADMIN)
    )
    assert event == TimelineEntryCorrected(
        at=LATER,
        actor_id=ADMIN.id,
        actor_name=ADMIN.name,
        entry=5,
        reason="wrong time",
        text="Board decided at 01:32",
    )
    after = evolve(state, [event])
    assert [c.text for c in after.corrections[5]] == ["Board decided at 01:32"]
    assert after.notes[0].text == "Board decided at 02:31"  # the original is never rewritten


def test_the_scribe_and_admins_may_correct_others_may_not() -> None:
    state = given(*with_note())  # type: ignore[arg-type]
    assert when(state, CorrectTimelineEntry(5, "typo", "x", actor=BOB))  # scribe
    with pytest.raises(NotAllowed, match="needs role Incident lead .* or Scribe, or incident"):
        when(state, CorrectTimelineEntry(5, "typo", "x", actor=CAROL))  # hash coordinator
    bot = Actor("bot", "crisisbot", frozenset({TIMELINE_RECORDER, HASH_COORDINATOR}))
    with pytest.raises(NotAllowed):
        when(state, CorrectTimelineEntry(5, "typo", "x", actor=bot))
    outsider_admin = Actor("root", "Root", frozenset({"incident_admin"}))
    assert when(state, CorrectTimelineEntry(5, "typo", retract=True, actor=outsider_admin))


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (CorrectTimelineEntry(0, "r", "x", actor=ADMIN), "no timeline entry #0 .entries 1-5"),
        (CorrectTimelineEntry(6, "r", "x", actor=ADMIN), "no timeline entry #6"),
        (CorrectTimelineEntry(5, "r", actor=ADMIN), "needs a corrected text, a corrected time"),
        (CorrectTimelineEntry(5, "r", "x", retract=True, actor=ADMIN), "not both"),
        (CorrectTimelineEntry(5, " ", "x", actor=ADMIN), "a reason is required"),
        (CorrectTimelineEntry(5, "r", "  ", actor=ADMIN), "corrected text is required"),
        (
            CorrectTimelineEntry(5, "r", time=datetime(2026, 3, 15, 1, 32), actor=ADMIN),
            "aware datetime",
        ),
    ],
)
def test_bad_corrections_are_refused(command: CorrectTimelineEntry, message: str) -> None:
    with pytest.raises(InvalidTransition, match=message):
        when(given(*with_note()), command)  # type: ignore[arg-type]


def test_a_correction_cannot_be_corrected_and_a_closed_timeline_is_final() -> None:
    state = given(*with_note(), CorrectTimelineEntry(5, "typo", "x", actor=ADMIN))  # type: ignore[arg-type]
    with pytest.raises(InvalidTransition, match="entry #6 is itself a correction"):
        when(state, CorrectTimelineEntry(6, "r", "y", actor=ADMIN))
    closed = given(*with_note(), Close("done", actor=ADMIN))  # type: ignore[arg-type]
    with pytest.raises(IncidentClosed):
        when(closed, CorrectTimelineEntry(5, "typo", "x", actor=ADMIN))


def test_correcting_again_names_the_correction_it_replaces_and_the_latest_wins() -> None:
    state = given(
        *with_note(),  # type: ignore[arg-type]
        CorrectTimelineEntry(5, "wrong time", time=REAL_TIME, actor=ADMIN),  # 6
        CorrectTimelineEntry(5, "wording", "first wording", actor=BOB),  # 7
        CorrectTimelineEntry(5, "duplicate", retract=True, actor=ADMIN),  # 8
    )
    [event] = when(state, CorrectTimelineEntry(5, "not a duplicate", "final", actor=BOB))
    assert isinstance(event, TimelineEntryCorrected) and event.replaces == 8
    retracted = fold_corrections(state.corrections[5])
    assert retracted is not None and retracted.retracted and retracted.replaces == (6, 7)
    final = fold_corrections(evolve(state, [event]).corrections[5])
    assert final is not None
    assert (final.text, final.time, final.retracted, final.by) == ("final", REAL_TIME, False, "Bob")


# -- exports -----------------------------------------------------------------------------------
async def corrected_incident() -> IncidentService:
    clock = VirtualClock()
    svc = IncidentService(MemoryEventStore(), library=ProtocolLibrary(), clock=clock)
    await svc.declare(DeclareIncident("gifct-cip", "Attack", "cip", ADMIN, incident_id="i1"))
    for command in [
        *with_note(),
        CorrectTimelineEntry(5, "wrong time", time=REAL_TIME, actor=BOB),
        CorrectTimelineEntry(5, "wording", "Board decided at 01:32", actor=BOB),
        CorrectTimelineEntry(4, "recorded twice", retract=True, actor=ADMIN),
    ]:
        clock.advance(minutes=10)
        await svc.execute("i1", command)  # type: ignore[arg-type]
    return svc


async def test_markdown_strikes_the_original_and_says_who_corrected_it() -> None:
    svc = await corrected_incident()
    text = await svc.export("i1", "md", tz="Pacific/Auckland")
    row = next(line for line in text.splitlines() if line.startswith("| 5 |"))
    assert "~~2026-03-15 15:10:00 NZDT~~ 2026-03-15 14:32:00 NZDT" in row
    assert "~~Note: Board decided at 02:31~~ Board decided at 01:32" in row
    assert "corrected by Bob at 2026-03-15 15:30:00 NZDT (#7, replaces #6): wording" in row
    retracted = next(line for line in text.splitlines() if line.startswith("| 4 |"))
    assert "~~Assigned Hash coordinator to Carol~~ _(retracted by Alice Admin" in retracted
    timeline = text[text.index("## Timeline") :]
    assert timeline.index("| 5 |") < timeline.index("| 2 |")  # sorted by the corrected time
    assert (await svc.verify("i1")).ok


async def test_html_marks_the_original_deleted_and_stays_well_formed() -> None:
    svc = await corrected_incident()
    html = await svc.export("i1", "html")
    assert "<del>Note: Board decided at 02:31</del> <ins>Board decided at 01:32</ins>" in html
    assert '<small class="correction">retracted by Alice Admin' in html
    assert_well_formed_html(html)


async def test_csv_and_json_keep_both_values() -> None:
    svc = await corrected_incident()
    rows = {r["version"]: r for r in csv.DictReader(io.StringIO(await svc.export("i1", "csv")))}
    assert rows["5"]["what"] == "Note: Board decided at 02:31"
    assert rows["5"]["corrected_what"] == "Board decided at 01:32"
    assert rows["5"]["corrected_time"] == REAL_TIME.isoformat()
    assert rows["5"]["time"] == "2026-03-15T02:10:00+00:00"
    assert rows["4"]["retracted"] == "yes" and rows["3"]["correction"] == ""
    doc = json.loads(await svc.export("i1", "json"))
    entry = next(e for e in doc["timeline"] if e["version"] == 5)
    assert entry["text"] == "Note: Board decided at 02:31"
    assert entry["correction"] == {
        "text": "Board decided at 01:32",
        "time": REAL_TIME.isoformat(),
        "retracted": False,
        "by": "Bob",
        "at": "2026-03-15T02:30:00+00:00",
        "reason": "wording",
        "version": 7,
        "replaces": [6],
    }
    assert len(doc["timeline"]) == len(doc["events"]) == 8


# -- CLI ---------------------------------------------------------------------------------------
def test_the_cli_corrects_an_entry(tmp_path: Path) -> None:
    run = cli_runner(tmp_path, f"sqlite:///{tmp_path}/c.db")

    assert run("incident", "open", "--protocol", "gifct-cip", "--title", "T", "--severity",
               "cip", "--id", "i1").returncode == 0  # fmt: skip
    assert run("incident", "act", "i1", "note", "hello").returncode == 0
    done = run("incident", "act", "i1", "correct", "--entry", "3", "--text", "hello world",
               "--time", "2026-03-15T14:32", "--tz", "Pacific/Auckland", "--reason", "typo",
               "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["type"] == "TimelineEntryCorrected"
    events = json.loads(run("incident", "export", "i1", "--format", "json").stdout)["events"]
    assert events[-1]["data"]["time"] == "2026-03-15T01:32:00+00:00"
    shown = run("incident", "timeline", "i1", "--tz", "Pacific/Auckland")
    first = shown.stdout.splitlines()[0]  # sorted by the corrected time: 14:32 NZDT comes first
    assert (
        first.startswith("#3 ") and "2026-03-15 14:32:00 NZDT  tester: [was: Note: hello]" in first
    )
    assert "hello world (corrected by tester at " in first
    [entry] = [e for e in json.loads(run("incident", "timeline", "i1", "--json").stdout)
               if e["version"] == 3]  # fmt: skip
    assert (entry["text"], entry["correction"]["text"]) == ("Note: hello", "hello world")
    [done] = json.loads(run("incident", "act", "i1", "complete", "situational-awareness",
                            "--evidence", "hub", "--json").stdout)  # fmt: skip
    assert run("incident", "act", "i1", "correct", "--entry", str(done["version"]), "--time",
               "2026-03-15T01:30:00+00:00", "--reason", "logged late").returncode == 0  # fmt: skip
    steps = json.loads(run("incident", "show", "i1", "--json").stdout)["steps"]
    assert steps[0]["at"] == "2026-03-15T01:30:00+00:00"  # show uses the corrected time too
    refused = run(
        "incident", "act", "i1", "correct", "--entry", "9", "--text", "x", "--reason", "y"
    )
    assert refused.returncode == 1
    assert refused.stderr == "Error: incident i1 has no timeline entry #9 (entries 1-6)\n"
    bad_time = run("incident", "act", "i1", "correct", "--entry", "3", "--time", "soon",
                   "--reason", "y")  # fmt: skip
    assert bad_time.returncode == 2 and "not an ISO 8601 time" in bad_time.stderr


async def test_corrected_times_drive_step_outcomes_and_time_to_activation() -> None:
    clock = VirtualClock()
    svc = IncidentService(MemoryEventStore(), library=ProtocolLibrary(), clock=clock)
    await svc.declare(DeclareIncident("gifct-cip", "Attack", "cip", ADMIN, incident_id="i1"))
    clock.advance(minutes=50)  # the 30-minute target has passed when the scribe records it
    [done] = await svc.execute(
        "i1", CompleteStep("situational-awareness", evidence="hub", actor=ADMIN)
    )
    [activated] = await svc.execute("i1", ActivateIncident("board", actor=ADMIN))
    really = START + timedelta(minutes=20)
    for entry in (done.version, activated.version):
        await svc.execute(
            "i1", CorrectTimelineEntry(entry, "logged late", time=really, actor=ADMIN)
        )
    doc = json.loads(await svc.export("i1", "json"))
    step = next(s for s in doc["steps"] if s["step_id"] == "situational-awareness")
    assert (step["finished_at"], step["outcome"]) == (really.isoformat(), "met")
    assert doc["time_to_activation_seconds"] == 20 * 60
    assert doc["incident"]["activated_at"] == really.isoformat()
    figures = (await svc.transparency()).incidents[0]
    assert (figures.steps_met, figures.time_to_activation_seconds) == (1, 20 * 60)
