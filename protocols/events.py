"""Events: what happened to an incident, in the past tense, immutable. The timeline *is* these.

Every event records when it was decided (``at``, from the injected clock) and who acted
(``actor_id``, ``actor_name``). ``MessageRecorded`` additionally keeps the message's own time
(``posted_at``). Events are serialised to canonical JSON by ``event_to_payload`` for the store
and the hash chain; ``event_from_payload`` is its inverse. The closing event is called
``IncidentWasClosed`` because ``IncidentClosed`` is the error raised when acting on one.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

__all__ = [
    "EVENT_TYPES",
    "EscalationRecorded",
    "Event",
    "EvidenceAttached",
    "HashEntryLinked",
    "HashEntryUnlinked",
    "IncidentActivated",
    "IncidentConcluded",
    "IncidentDeclared",
    "IncidentWasClosed",
    "MatchRecorded",
    "MessageDeleted",
    "MessageEdited",
    "MessageRecorded",
    "NoteAdded",
    "RoleAssigned",
    "RoleUnassigned",
    "SeverityChanged",
    "StageAdvanced",
    "StepCompleted",
    "StepReopened",
    "StepSkipped",
    "TimelineEntryCorrected",
    "event_from_payload",
    "event_to_payload",
]


@dataclass(frozen=True, kw_only=True)
class Event:
    at: datetime
    actor_id: str
    actor_name: str


@dataclass(frozen=True, kw_only=True)
class IncidentDeclared(Event):
    """The incident began. ``protocol_snapshot`` is the protocol it runs under, as canonical JSON
    (``protocols.protocol_snapshot``), and ``protocol_hash`` its SHA-256; both are empty in logs
    written before snapshots existed (those incidents fall back to the library)."""

    incident_id: str
    protocol_id: str
    protocol_version: str
    title: str
    severity: str
    drill: bool
    first_stage: str
    participants: tuple[tuple[str, str], ...] = ()
    protocol_hash: str = ""
    protocol_snapshot: str = ""


@dataclass(frozen=True, kw_only=True)
class IncidentActivated(Event):
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class RoleAssigned(Event):
    role: str
    user_id: str
    user_name: str


@dataclass(frozen=True, kw_only=True)
class RoleUnassigned(Event):
    role: str
    user_id: str
    user_name: str


@dataclass(frozen=True, kw_only=True)
class StepCompleted(Event):
    step_id: str
    note: str = ""
    evidence: str | None = None


@dataclass(frozen=True, kw_only=True)
class StepSkipped(Event):
    step_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class StepReopened(Event):
    step_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class EvidenceAttached(Event):
    step_id: str | None
    kind: str
    value: str


@dataclass(frozen=True, kw_only=True)
class SeverityChanged(Event):
    old: str
    new: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class NoteAdded(Event):
    text: str


@dataclass(frozen=True, kw_only=True)
class StageAdvanced(Event):
    from_stage: str
    to_stage: str
    reason: str
    automatic: bool = False
    open_steps: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IncidentConcluded(Event):
    summary: str


@dataclass(frozen=True, kw_only=True)
class IncidentWasClosed(Event):
    reason: str


@dataclass(frozen=True, kw_only=True)
class MessageRecorded(Event):
    message_id: str
    channel_id: str
    author_id: str
    author_name: str
    content: str
    posted_at: datetime
    image_hashes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class MessageEdited(Event):
    message_id: str
    content: str
    edited_at: datetime


@dataclass(frozen=True, kw_only=True)
class MessageDeleted(Event):
    message_id: str
    deleted_at: datetime


@dataclass(frozen=True, kw_only=True)
class HashEntryLinked(Event):
    entry_id: str
    list_name: str
    signal: str
    value: str


@dataclass(frozen=True, kw_only=True)
class HashEntryUnlinked(Event):
    entry_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class MatchRecorded(Event):
    entry_id: str
    reported_by: str
    count: int = 1


@dataclass(frozen=True, kw_only=True)
class EscalationRecorded(Event):
    step_id: str
    notified_roles: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class TimelineEntryCorrected(Event):
    """The lead or scribe corrected timeline entry ``entry`` (a version in this incident).

    The original event stays in the log untouched (the hash chain covers it); this event only
    changes what the timeline *shows*: new wording (``text``), the time it really happened
    (``time``) or that it should not have been recorded (``retracted``). Fields left ``None`` keep
    the values of earlier corrections; ``replaces`` is the version of the previous correction of
    the same entry (the latest correction wins).
    """

    entry: int
    reason: str
    text: str | None = None
    time: datetime | None = None
    retracted: bool = False
    replaces: int | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        IncidentDeclared,
        IncidentActivated,
        RoleAssigned,
        RoleUnassigned,
        StepCompleted,
        StepSkipped,
        StepReopened,
        EvidenceAttached,
        SeverityChanged,
        NoteAdded,
        StageAdvanced,
        IncidentConcluded,
        IncidentWasClosed,
        MessageRecorded,
        MessageEdited,
        MessageDeleted,
        HashEntryLinked,
        HashEntryUnlinked,
        MatchRecorded,
        EscalationRecorded,
        TimelineEntryCorrected,
    )
}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(value, inner[0])
    if hint is datetime:
        return datetime.fromisoformat(value)
    if origin is tuple:
        args = typing.get_args(hint)
        item = args[0]
        return tuple(_decode(v, item) for v in value)
    return value


@functools.cache
def _hints(event_type: str) -> dict[str, Any]:
    """Resolved field types per event type (resolving them is costly; they never change)."""
    return typing.get_type_hints(EVENT_TYPES[event_type])


def event_to_payload(event: Event) -> tuple[str, str]:
    """``(type name, canonical JSON)`` for storage; the JSON is what the hash chain covers."""
    data = {f.name: _encode(getattr(event, f.name)) for f in fields(event)}
    return type(event).__name__, json.dumps(data, sort_keys=True, separators=(",", ":"))


def event_from_payload(event_type: str, payload: str) -> Event:
    """Rebuild an event; raise ``ValueError`` when the type or the fields are not understood."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise ValueError(f"unknown event type {event_type!r}")
    data = json.loads(payload)
    hints = _hints(event_type)
    try:
        return cls(**{name: _decode(value, hints[name]) for name, value in data.items()})
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed {event_type} payload: {exc}") from None
