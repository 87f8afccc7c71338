"""Commands: what someone asks the engine to do, in the imperative, each carrying its actor.

A command is only a request; ``protocols.decide.decide`` accepts it (returning events) or refuses
it (raising a ``ProtocolError``). Every command except ``DeclareIncident`` takes ``actor`` as a
keyword argument: ``CompleteStep("alert-members", note="done", actor=alice)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from protocols.actors import Actor

__all__ = [
    "ActivateIncident",
    "AddNote",
    "AdvanceStage",
    "AssignRole",
    "AttachEvidence",
    "ChangeSeverity",
    "Close",
    "Command",
    "CompleteStep",
    "Conclude",
    "CorrectTimelineEntry",
    "DeclareIncident",
    "LinkHashEntry",
    "Participant",
    "RecordEscalation",
    "RecordMatch",
    "RecordMessage",
    "RecordMessageDeleted",
    "RecordMessageEdited",
    "ReopenStep",
    "SkipStep",
    "UnassignRole",
    "UnlinkHashEntry",
]


class Participant(NamedTuple):
    id: str
    name: str


@dataclass(frozen=True)
class DeclareIncident:
    protocol_id: str
    title: str
    severity: str
    actor: Actor
    drill: bool = False
    incident_id: str | None = None
    participants: tuple[Participant, ...] = ()


@dataclass(frozen=True)
class ActivateIncident:
    reason: str = ""
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class AssignRole:
    role: str
    user_id: str
    user_name: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class UnassignRole:
    role: str
    user_id: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class CompleteStep:
    step_id: str
    note: str = ""
    evidence: str | None = None
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class SkipStep:
    step_id: str
    reason: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class ReopenStep:
    step_id: str
    reason: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class AttachEvidence:
    step_id: str | None
    kind: str
    value: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class ChangeSeverity:
    severity: str
    reason: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class AddNote:
    text: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class AdvanceStage:
    reason: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class Conclude:
    summary: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class Close:
    reason: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class RecordMessage:
    """A chat message for the timeline; ``posted_at`` is the message's own time."""

    message_id: str
    channel_id: str
    author_id: str
    author_name: str
    content: str
    posted_at: datetime
    image_hashes: tuple[tuple[str, str], ...] = ()  # (signal type, hash value)
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class RecordMessageEdited:
    message_id: str
    content: str
    edited_at: datetime
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class RecordMessageDeleted:
    message_id: str
    deleted_at: datetime
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class LinkHashEntry:
    """Link a hash list entry (added because of this incident) to the incident."""

    entry_id: str
    list_name: str
    signal: str
    value: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class UnlinkHashEntry:
    """The linked entry was removed from its list (for example a false positive)."""

    entry_id: str
    reason: str
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class RecordMatch:
    """A platform reported matches against a hash entry linked to the incident."""

    entry_id: str
    reported_by: str
    count: int = 1
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class RecordEscalation:
    step_id: str
    notified_roles: tuple[str, ...]
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True)
class CorrectTimelineEntry:
    """Correct timeline entry ``entry`` (its version number, the ``#`` column of exports).

    Give new wording (``text``), the real time (``time``, aware), or ``retract=True`` (the entry
    should not have been recorded); a reason is required. Allowed to the incident lead, holders
    of a role with ``can_correct_timeline`` (the scribe in the shipped protocols) and incident
    admins. The original stays in the log and in every export.
    """

    entry: int
    reason: str
    text: str | None = None
    time: datetime | None = None
    retract: bool = False
    actor: Actor = field(kw_only=True)


Command = (
    ActivateIncident
    | AssignRole
    | UnassignRole
    | CompleteStep
    | SkipStep
    | ReopenStep
    | AttachEvidence
    | ChangeSeverity
    | AddNote
    | AdvanceStage
    | Conclude
    | Close
    | RecordMessage
    | RecordMessageEdited
    | RecordMessageDeleted
    | LinkHashEntry
    | UnlinkHashEntry
    | RecordMatch
    | RecordEscalation
    | CorrectTimelineEntry
)
