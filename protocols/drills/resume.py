"""Resuming a drill run from the incident timeline after the process that ran it stopped.

A run driven by a long-lived adapter (the Discord bot) must survive a restart. Nothing but the
timeline is persistent, so the run writes what a successor needs as exercise-control notes:

* ``DRILL run <run>: scenario <id> v<version>, speed <speed>`` when it starts,
* ``DRILL run <run> paused at T+mm:ss`` / ``resumed at T+mm:ss`` for every pause and resume,
* ``DRILL run <run> ended (<reason>) at T+mm:ss`` when it ends (not when the process stops).

Together with what every run already records (each inject as a ``MessageRecorded`` by the
controller, with the upload's hashes; hashes linked to the exercise list; matches), that gives
back the run: :func:`find_run` reads the notes (drill time kept running while the process was
away, unless the run was paused), and :func:`restored_log` rebuilds the run log, so delivered
injects are not delivered again and the after-action report covers the whole run. Upload match
distances of the earlier part are not in the timeline and read as unknown.
Imports only ``protocols`` modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from protocols import events as ev
from protocols.drills.clock import DrillClock
from protocols.drills.offsets import format_offset, parse_offset
from protocols.drills.run_log import DrillLogEntry, HashAdded, InjectDelivered, UploadChecked
from protocols.drills.scenario import InjectKind, Scenario

__all__ = [
    "RunRecord",
    "find_run",
    "inject_content_prefix",
    "restored_log",
    "run_control_note",
    "run_started_note",
]

_STARTED = re.compile(
    r"DRILL run (?P<run>\S+): scenario (?P<scenario>\S+) v(?P<version>\d+), "
    r"speed (?P<speed>[0-9.e+-]+)"
)
_CONTROL = re.compile(
    r"DRILL run (?P<run>\S+) (?P<what>paused|resumed|ended)(?: \([^)]*\))? at (?P<at>T\+\S+)"
)
_INJECT = re.compile(r"\[DRILL inject (?P<inject>[^\]\s]+)\]")

#: (wall time, drill time, running afterwards): how drill time followed the wall clock
Anchor = tuple[datetime, timedelta, bool]


def inject_content_prefix(inject_id: str) -> str:
    """How a delivered inject's timeline record starts (the runner writes it, this reads it)."""
    return f"[DRILL inject {inject_id}]"


def run_started_note(run_id: str, scenario: Scenario, speed: float | None) -> str:
    return (
        f"DRILL run {run_id}: scenario {scenario.id} v{scenario.version}, "
        f"speed {speed if speed is not None else 0}"
    )


def run_control_note(run_id: str, what: str, at: timedelta, reason: str = "") -> str:
    """``paused``, ``resumed`` or ``ended`` (with ``reason``) at drill time ``at``."""
    why = f" ({reason})" if reason else ""
    return f"DRILL run {run_id} {what}{why} at {format_offset(at)}"


@dataclass(frozen=True)
class RunRecord:
    """The latest run of a drill incident, as its control notes tell it."""

    run_id: str
    scenario_id: str
    version: int
    speed: float
    anchors: tuple[Anchor, ...]
    ended: bool

    def clock(self, t0: datetime, wall: Callable[[], datetime]) -> DrillClock:
        """A clock that continues this run: drill time ran on while no process ran the drill
        (unless it was paused), so what fell due meanwhile is due at once."""
        clock = DrillClock(t0, speed=self.speed, wall=wall)
        clock.restore(self.anchors)
        return clock


def _notes(records: Sequence[ev.Event], actor_id: str) -> list[ev.NoteAdded]:
    return [e for e in records if isinstance(e, ev.NoteAdded) and e.actor_id == actor_id]


def find_run(events: Sequence[ev.Event], *, actor_id: str, t0: datetime) -> RunRecord | None:
    """The latest run recorded in ``events`` by the controller ``actor_id``; None if none.

    ``t0`` is the run's start in wall time (the incident's opening), where drill time is 0.
    """
    notes = _notes(events, actor_id)
    starts = [(n, m) for n in notes if (m := _STARTED.fullmatch(n.text))]
    if not starts:
        return None
    start, found = starts[-1]
    anchors: list[Anchor] = [(t0, timedelta(0), True)]
    ended = False
    for note in notes[notes.index(start) + 1 :]:
        control = _CONTROL.fullmatch(note.text)
        if control is None or control["run"] != found["run"]:
            continue
        ended = ended or control["what"] == "ended"
        anchors.append((note.at, parse_offset(control["at"]), control["what"] == "resumed"))
    return RunRecord(
        run_id=found["run"],
        scenario_id=found["scenario"],
        version=int(found["version"]),
        speed=float(found["speed"]),
        anchors=tuple(anchors),
        ended=ended,
    )


def restored_log(
    events: Sequence[ev.Event],
    scenario: Scenario,
    *,
    actor_id: str,
    exercise_list: str,
    clock: DrillClock,
) -> tuple[list[DrillLogEntry], dict[str, tuple[str, str]]]:
    """The run log of what the earlier process did, and the uploads' hashes by inject id.

    An inject counts as delivered once its timeline record exists (the runner writes it right
    after posting the inject), so it is never delivered twice; an upload counts as matched when
    the controller recorded a match between the previous inject and it.
    """
    log: list[DrillLogEntry] = []
    uploads: dict[str, tuple[str, str]] = {}
    matched_since_last = False
    for event in events:
        if isinstance(event, ev.MatchRecorded) and event.actor_id == actor_id:
            matched_since_last = True
            continue
        if isinstance(event, ev.HashEntryLinked) and event.list_name == exercise_list:
            upload = next((u for u, h in uploads.items() if h == (event.signal, event.value)), "")
            at = clock.offset_at(event.at)
            added = HashAdded(
                at,
                upload,
                event.actor_name,
                event.entry_id,
                exercise_list,
                event.signal,
                event.value,
            )
            log.append(added)
            continue
        if not (isinstance(event, ev.MessageRecorded) and event.author_id == actor_id):
            continue
        found = _INJECT.match(event.content)
        if found is None or found["inject"] not in {i.id for i in scenario.injects}:
            continue
        inject = scenario.inject(found["inject"])
        at = clock.offset_at(event.at)
        summary = event.content[found.end() :].strip()
        log.append(InjectDelivered(at, inject.id, inject.kind.value, summary))
        if inject.kind is InjectKind.UPLOAD and event.image_hashes:
            signal, value = event.image_hashes[0]
            uploads[inject.id] = (signal, value)
            expect = inject.upload.expect if inject.upload else None
            expected = expect.value if expect else None
            log.append(UploadChecked(at, inject.id, signal, value, expected, matched_since_last))
        matched_since_last = False
    return log, uploads
