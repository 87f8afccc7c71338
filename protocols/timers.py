"""Deadlines: which open steps are due or overdue, and which escalations should fire.

Pure functions of (state, protocol, now) so tests run in virtual time and one dispatcher (the
bot's timer loop) can serve every incident: call ``due_steps`` to act, ``next_deadline`` to know
when to wake up next. A fired escalation is recorded with ``RecordEscalation`` so it fires once.
Steps of stages that have not started are never due; closed incidents have no deadlines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from protocols.definition import Protocol, Step
from protocols.state import IncidentState

__all__ = ["DueStep", "due_steps", "next_deadline", "step_due_at"]


@dataclass(frozen=True)
class DueStep:
    incident_id: str
    step_id: str
    title: str
    stage_id: str
    role: str
    holders: tuple[str, ...]  # names of the people holding the responsible role
    due_at: datetime
    overdue: bool
    escalate_at: datetime | None
    escalation_due: bool  # the escalation time has passed and it has not been recorded yet
    notify_roles: tuple[str, ...]


def step_due_at(
    state: IncidentState, protocol: Protocol, index: int, step: Step
) -> datetime | None:
    """When ``step`` (in stage ``index``) is due, or None without a target or before its stage."""
    if step.target is None or index > state.stage_index:
        return None
    if step.relative_to == "incident":
        return state.opened_at + step.target
    started = state.stage_started_at.get(protocol.stages[index].id)
    return None if started is None else started + step.target


def due_steps(state: IncidentState, protocol: Protocol, now: datetime) -> list[DueStep]:
    """Every open step with a target in a started stage, earliest deadline first."""
    if state.status == "closed":
        return []
    found = []
    for index, step in protocol.steps():
        due_at = step_due_at(state, protocol, index, step)
        if due_at is None or state.step(step.id).finished:
            continue
        escalate_at = due_at + step.escalation.after if step.escalation else None
        already = state.escalations.get(step.id)
        escalation_due = (
            escalate_at is not None
            and now >= escalate_at
            and (already is None or already < escalate_at)
        )
        found.append(
            DueStep(
                incident_id=state.id,
                step_id=step.id,
                title=step.title,
                stage_id=protocol.stages[index].id,
                role=step.role,
                holders=tuple(state.holders(step.role).values()),
                due_at=due_at,
                overdue=now >= due_at,
                escalate_at=escalate_at,
                escalation_due=escalation_due,
                notify_roles=step.escalation.notify_roles if step.escalation else (),
            )
        )
    return sorted(found, key=lambda d: (d.due_at, d.step_id))


def next_deadline(state: IncidentState, protocol: Protocol, now: datetime) -> datetime | None:
    """The earliest future due time or pending escalation time, for a timer to sleep until."""
    times = []
    for item in due_steps(state, protocol, now):
        if item.due_at > now:
            times.append(item.due_at)
        if item.escalate_at is not None and item.escalate_at > now:
            times.append(item.escalate_at)
    return min(times, default=None)
