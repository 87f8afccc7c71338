"""Incident state: the left fold of an incident's events. Nothing else ever changes it.

``replay(events)`` builds the state from the first event; ``evolve(state, events)`` returns a new
state with more events applied (the input is left untouched). The state needs no protocol: step
owners and targets are joined in by ``protocols.timers`` and the exports.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from protocols import events as ev

__all__ = [
    "IncidentState",
    "LinkedHash",
    "Note",
    "Status",
    "StepState",
    "TimelineCorrection",
    "TimelineMessage",
    "apply_in_place",
    "evolve",
    "replay",
]

Status = Literal["declared", "active", "concluded", "closed"]


@dataclass
class StepState:
    status: Literal["pending", "done", "skipped"] = "pending"
    by_id: str | None = None
    by_name: str | None = None
    at: datetime | None = None
    note: str = ""
    reason: str = ""
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (kind, value)
    version: int | None = None  # the event that set this status (timeline corrections refer to it)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "skipped")


@dataclass
class Note:
    at: datetime
    author_id: str
    author_name: str
    text: str


@dataclass
class TimelineMessage:
    message_id: str
    channel_id: str
    author_id: str
    author_name: str
    content: str
    posted_at: datetime
    image_hashes: tuple[tuple[str, str], ...] = ()
    edits: list[tuple[datetime, str]] = field(default_factory=list)  # (edited_at, old content)
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class TimelineCorrection:
    """One correction of a timeline entry (``version`` is the correcting event's own)."""

    version: int
    at: datetime
    by_id: str
    by_name: str
    reason: str
    text: str | None
    time: datetime | None
    retracted: bool


@dataclass
class LinkedHash:
    entry_id: str
    list_name: str
    signal: str
    value: str
    linked_at: datetime
    linked_by: str
    removed_at: datetime | None = None
    removed_reason: str = ""
    matches: int = 0


@dataclass
class IncidentState:
    id: str
    protocol_id: str
    protocol_version: str
    title: str
    severity: str
    drill: bool
    opened_at: datetime
    declared_by: str
    protocol_hash: str = ""  # SHA-256 of the protocol snapshot it was declared with ("": none)
    protocol_snapshot: str = field(default="", repr=False)
    stage_index: int = 0
    current_stage: str = ""
    status: Status = "declared"
    activated_at: datetime | None = None
    activated_version: int | None = None
    concluded_at: datetime | None = None
    closed_at: datetime | None = None
    summary: str = ""
    close_reason: str = ""
    version: int = 0
    updated_at: datetime | None = None
    stage_started_at: dict[str, datetime] = field(default_factory=dict)
    role_holders: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> {id: name}
    steps: dict[str, StepState] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    participants: dict[str, str] = field(default_factory=dict)  # id -> name
    messages: dict[str, TimelineMessage] = field(default_factory=dict)
    linked_hashes: dict[str, LinkedHash] = field(default_factory=dict)
    escalations: dict[str, datetime] = field(default_factory=dict)  # step id -> last escalation
    evidence: list[tuple[str | None, str, str]] = field(default_factory=list)  # (step, kind, value)
    #: entry version -> its corrections, oldest first (the latest wins, field by field)
    corrections: dict[int, list[TimelineCorrection]] = field(default_factory=dict)

    def step(self, step_id: str) -> StepState:
        """The state of one step (pending when nothing has happened to it)."""
        return self.steps.get(step_id) or StepState()

    def holders(self, role: str) -> dict[str, str]:
        return dict(self.role_holders.get(role, {}))

    def roles_of(self, user_id: str) -> set[str]:
        return {role for role, users in self.role_holders.items() if user_id in users}

    def is_correction(self, version: int) -> bool:
        """True when event ``version`` is itself a timeline correction."""
        return any(c.version == version for items in self.corrections.values() for c in items)

    @property
    def is_open(self) -> bool:
        return self.status != "closed"


def _declare(e: ev.IncidentDeclared, stage: str) -> IncidentState:
    s = IncidentState(
        id=e.incident_id,
        protocol_id=e.protocol_id,
        protocol_version=e.protocol_version,
        title=e.title,
        severity=e.severity,
        drill=e.drill,
        opened_at=e.at,
        declared_by=e.actor_name,
        protocol_hash=e.protocol_hash,
        protocol_snapshot=e.protocol_snapshot,
        current_stage=stage,
    )
    s.stage_started_at[stage] = e.at
    s.participants.update(dict(e.participants))
    return s


def _apply(s: IncidentState, e: ev.Event) -> None:  # noqa: C901 - one branch per event type
    s.version += 1
    s.updated_at = e.at
    s.participants.setdefault(e.actor_id, e.actor_name)
    match e:
        case ev.IncidentActivated():
            s.status = "active"
            s.activated_at = e.at
            s.activated_version = s.version
        case ev.RoleAssigned():
            s.role_holders.setdefault(e.role, {})[e.user_id] = e.user_name
            s.participants.setdefault(e.user_id, e.user_name)
        case ev.RoleUnassigned():
            s.role_holders.get(e.role, {}).pop(e.user_id, None)
        case ev.StepCompleted():
            old = s.step(e.step_id)
            evidence = list(old.evidence)
            if e.evidence:
                evidence.append(("evidence", e.evidence))
            s.steps[e.step_id] = StepState(
                "done", e.actor_id, e.actor_name, e.at, e.note, evidence=evidence, version=s.version
            )
        case ev.StepSkipped():
            old = s.step(e.step_id)
            s.steps[e.step_id] = StepState(
                "skipped",
                e.actor_id,
                e.actor_name,
                e.at,
                reason=e.reason,
                evidence=old.evidence,
                version=s.version,
            )
        case ev.StepReopened():
            old = s.step(e.step_id)
            s.steps[e.step_id] = StepState(
                "pending", e.actor_id, e.actor_name, e.at, reason=e.reason, evidence=old.evidence
            )
        case ev.EvidenceAttached():
            s.evidence.append((e.step_id, e.kind, e.value))
            if e.step_id is not None:
                step = s.steps.setdefault(e.step_id, StepState())
                step.evidence = [*step.evidence, (e.kind, e.value)]
        case ev.SeverityChanged():
            s.severity = e.new
        case ev.NoteAdded():
            s.notes.append(Note(e.at, e.actor_id, e.actor_name, e.text))
        case ev.StageAdvanced():
            s.stage_index += 1
            s.current_stage = e.to_stage
            s.stage_started_at[e.to_stage] = e.at
        case ev.IncidentConcluded():
            s.status = "concluded"
            s.concluded_at = e.at
            s.summary = e.summary
        case ev.IncidentWasClosed():
            s.status = "closed"
            s.closed_at = e.at
            s.close_reason = e.reason
        case ev.MessageRecorded():
            s.messages[e.message_id] = TimelineMessage(
                e.message_id,
                e.channel_id,
                e.author_id,
                e.author_name,
                e.content,
                e.posted_at,
                e.image_hashes,
            )
            s.participants.setdefault(e.author_id, e.author_name)
        case ev.MessageEdited():
            msg = s.messages[e.message_id]
            msg.edits.append((e.edited_at, msg.content))
            msg.content = e.content
        case ev.MessageDeleted():
            s.messages[e.message_id].deleted_at = e.deleted_at
        case ev.HashEntryLinked():
            s.linked_hashes[e.entry_id] = LinkedHash(
                e.entry_id, e.list_name, e.signal, e.value, e.at, e.actor_name
            )
        case ev.HashEntryUnlinked():
            entry = s.linked_hashes[e.entry_id]
            entry.removed_at = e.at
            entry.removed_reason = e.reason
        case ev.MatchRecorded():
            s.linked_hashes[e.entry_id].matches += e.count
        case ev.EscalationRecorded():
            s.escalations[e.step_id] = e.at
        case ev.TimelineEntryCorrected():
            correction = TimelineCorrection(
                s.version, e.at, e.actor_id, e.actor_name, e.reason, e.text, e.time, e.retracted
            )
            s.corrections.setdefault(e.entry, []).append(correction)


def replay(events: Iterable[ev.Event]) -> IncidentState:
    """Fold a whole stream; the first event must be ``IncidentDeclared``."""
    iterator = iter(events)
    first = next(iterator, None)
    if not isinstance(first, ev.IncidentDeclared):
        raise ValueError("an incident stream starts with IncidentDeclared")
    state = _declare(first, first.first_stage)
    state.version = 1
    for event in iterator:
        _apply(state, event)
    return state


def apply_in_place(state: IncidentState, events: Iterable[ev.Event]) -> None:
    """Apply ``events`` to ``state`` itself. Only for the owner of a private state (the
    service's cache); everyone else uses ``evolve``."""
    for event in events:
        _apply(state, event)


def evolve(state: IncidentState | None, events: Iterable[ev.Event]) -> IncidentState:
    """A new state with ``events`` applied; ``state`` itself is not modified."""
    items = list(events)
    if state is None:
        return replay(items)
    new = copy.deepcopy(state)
    for event in items:
        _apply(new, event)
    return new
