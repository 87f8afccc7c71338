"""The transparency summary: counts fit for a public report. Drill incidents never count.

Per incident and in total: hashes added and removed, matches reported, steps met and missed
(judged at the incident's end, see ``report.as_of``), time to activation. Only counts and
times leave here, never content, user names or hash values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from protocols import events as ev
from protocols.definition import Protocol
from protocols.durations import format_duration
from protocols.exports.report import ReaderClock, as_of, corrected_time, step_outcome
from protocols.state import IncidentState
from protocols.store import StoredEvent
from protocols.timers import step_due_at

__all__ = ["IncidentFigures", "TransparencySummary", "render_transparency", "transparency_summary"]


@dataclass(frozen=True)
class IncidentFigures:
    incident_id: str
    protocol_id: str
    severity: str
    status: str
    opened_at: datetime
    time_to_activation_seconds: float | None
    hashes_added: int
    hashes_removed: int
    matches_reported: int
    steps_met: int
    steps_missed: int


@dataclass(frozen=True)
class TransparencySummary:
    since: datetime | None
    until: datetime | None
    drills_excluded: int
    incidents: list[IncidentFigures] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(i, name) for i in self.incidents)

    def to_dict(self) -> dict[str, object]:
        names = ("hashes_added", "hashes_removed", "matches_reported", "steps_met", "steps_missed")
        return {
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "incidents_counted": len(self.incidents),
            "drills_excluded": self.drills_excluded,
            "totals": {n: self.total(n) for n in names},
            "incidents": [
                {**asdict(i), "opened_at": i.opened_at.isoformat()} for i in self.incidents
            ],
        }


def _figures(
    state: IncidentState, events: Sequence[StoredEvent], protocol: Protocol
) -> IncidentFigures:
    decoded = [r.event for r in events]
    judged = as_of(state)
    outcomes = [
        step_outcome(
            step_due_at(state, protocol, index, step),
            state.step(step.id).status,
            corrected_time(state, state.step(step.id).version, state.step(step.id).at),
            judged,
        )
        for index, step in protocol.steps()
    ]
    activated_at = corrected_time(state, state.activated_version, state.activated_at)
    activation = activated_at - state.opened_at if activated_at else None
    return IncidentFigures(
        incident_id=state.id,
        protocol_id=state.protocol_id,
        severity=state.severity,
        status=state.status,
        opened_at=state.opened_at,
        time_to_activation_seconds=None if activation is None else activation.total_seconds(),
        hashes_added=sum(isinstance(e, ev.HashEntryLinked) for e in decoded),
        hashes_removed=sum(isinstance(e, ev.HashEntryUnlinked) for e in decoded),
        matches_reported=sum(e.count for e in decoded if isinstance(e, ev.MatchRecorded)),
        steps_met=outcomes.count("met"),
        steps_missed=outcomes.count("missed") + outcomes.count("late"),
    )


def transparency_summary(
    incidents: Iterable[tuple[IncidentState, Sequence[StoredEvent]]],
    protocol_for: Callable[[IncidentState], Protocol],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> TransparencySummary:
    """Figures for real (non-drill) incidents opened in ``[since, until)``."""
    counted, drills = [], 0
    for state, events in incidents:
        if since is not None and state.opened_at < since:
            continue
        if until is not None and state.opened_at >= until:
            continue
        if state.drill:
            drills += 1
            continue
        counted.append(_figures(state, events, protocol_for(state)))
    counted.sort(key=lambda f: f.opened_at)
    return TransparencySummary(since, until, drills, counted)


def render_transparency(summary: TransparencySummary, fmt: str = "md", tz: str = "UTC") -> str:
    """``md`` or ``json``."""
    if fmt == "json":
        return json.dumps(summary.to_dict(), indent=2) + "\n"
    clock = ReaderClock(tz)
    if summary.since is None and summary.until is None:
        period = "all incidents"
    else:
        period = f"{clock.show(summary.since)} to {clock.show(summary.until)}"
    lines = [
        "# Crisis response transparency summary",
        "",
        f"Period: {period}. Incidents counted: {len(summary.incidents)} "
        f"(drills are never counted; {summary.drills_excluded} excluded).",
        "",
        f"- Hashes added: {summary.total('hashes_added')}",
        f"- Hashes removed: {summary.total('hashes_removed')}",
        f"- Matches reported: {summary.total('matches_reported')}",
        f"- Protocol steps met on time: {summary.total('steps_met')}",
        f"- Protocol steps missed or late: {summary.total('steps_missed')}",
        "",
        "| Incident | Protocol | Severity | Opened | Time to activation | Hashes +/- | Matches "
        "| Steps met/missed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in summary.incidents:
        tta = f.time_to_activation_seconds
        shown = "—" if tta is None else format_duration(timedelta(seconds=tta))
        lines.append(
            f"| {f.incident_id} | {f.protocol_id} | {f.severity} | {clock.show(f.opened_at)} | "
            f"{shown} | +{f.hashes_added}/-{f.hashes_removed} | {f.matches_reported} | "
            f"{f.steps_met}/{f.steps_missed} |"
        )
    return "\n".join(lines) + "\n"
