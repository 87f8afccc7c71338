"""Crisis protocols as data, the incident engine and drills (pure core: no Discord, no HTTP).

Public surface (everything else is private to the package):

- protocol model and loading: ``Protocol``, ``Role``, ``Stage``, ``Step``, ``Escalation``,
  ``SeverityLevel``, ``load_protocol``, ``parse_protocol``, ``ProtocolLibrary``;
- the engine: ``Actor``, commands (``DeclareIncident``, ``CompleteStep``, ...), events
  (``IncidentDeclared``, ``StepCompleted``, ...), ``decide``, ``IncidentState``, ``replay``;
- persistence and service: ``IncidentService``, ``open_incident_service``, ``EventStore``,
  ``MemoryEventStore``, ``StoredEvent``, ``VerificationReport``;
- deadlines: ``DueStep``, ``due_steps``, ``next_deadline``;
- exports: ``export_incident``, ``transparency_summary`` (see ``protocols.exports``);
- errors: ``ProtocolError`` and its tree (``protocols.errors``).
"""

from __future__ import annotations

from protocols.actors import HASH_COORDINATOR, INCIDENT_ADMIN, TIMELINE_RECORDER, Actor
from protocols.commands import (
    ActivateIncident,
    AddNote,
    AdvanceStage,
    AssignRole,
    AttachEvidence,
    ChangeSeverity,
    Close,
    Command,
    CompleteStep,
    Conclude,
    DeclareIncident,
    LinkHashEntry,
    Participant,
    RecordEscalation,
    RecordMatch,
    RecordMessage,
    RecordMessageDeleted,
    RecordMessageEdited,
    ReopenStep,
    SkipStep,
    UnassignRole,
    UnlinkHashEntry,
)
from protocols.decide import decide
from protocols.durations import format_duration, parse_duration
from protocols.errors import (
    ConcurrencyConflict,
    DependencyNotMet,
    IncidentClosed,
    InvalidTransition,
    NotAllowed,
    ProtocolError,
    ProtocolLoadError,
    TimelineTampered,
    UnknownIncident,
    UnknownProtocol,
    UnknownRole,
    UnknownStep,
)
from protocols.events import (
    EscalationRecorded,
    Event,
    EvidenceAttached,
    HashEntryLinked,
    HashEntryUnlinked,
    IncidentActivated,
    IncidentConcluded,
    IncidentDeclared,
    IncidentWasClosed,
    MatchRecorded,
    MessageDeleted,
    MessageEdited,
    MessageRecorded,
    NoteAdded,
    RoleAssigned,
    RoleUnassigned,
    SeverityChanged,
    StageAdvanced,
    StepCompleted,
    StepReopened,
    StepSkipped,
)
from protocols.loader import load_protocol, parse_protocol
from protocols.model import Escalation, Protocol, Role, SeverityLevel, Stage, Step
from protocols.protocol_library import ProtocolLibrary
from protocols.service import IncidentService, open_event_store, open_incident_service
from protocols.state import IncidentState, LinkedHash, Note, StepState, TimelineMessage, replay
from protocols.store import EventStore, StoredEvent, VerificationReport
from protocols.store.memory import MemoryEventStore
from protocols.timers import DueStep, due_steps, next_deadline

__all__ = [
    "HASH_COORDINATOR",
    "INCIDENT_ADMIN",
    "TIMELINE_RECORDER",
    "ActivateIncident",
    "Actor",
    "AddNote",
    "AdvanceStage",
    "AssignRole",
    "AttachEvidence",
    "ChangeSeverity",
    "Close",
    "Command",
    "CompleteStep",
    "ConcurrencyConflict",
    "Conclude",
    "DeclareIncident",
    "DependencyNotMet",
    "DueStep",
    "Escalation",
    "EscalationRecorded",
    "Event",
    "EventStore",
    "EvidenceAttached",
    "HashEntryLinked",
    "HashEntryUnlinked",
    "IncidentActivated",
    "IncidentClosed",
    "IncidentConcluded",
    "IncidentDeclared",
    "IncidentService",
    "IncidentState",
    "IncidentWasClosed",
    "InvalidTransition",
    "LinkHashEntry",
    "LinkedHash",
    "MatchRecorded",
    "MemoryEventStore",
    "MessageDeleted",
    "MessageEdited",
    "MessageRecorded",
    "NotAllowed",
    "Note",
    "NoteAdded",
    "Participant",
    "Protocol",
    "ProtocolError",
    "ProtocolLibrary",
    "ProtocolLoadError",
    "RecordEscalation",
    "RecordMatch",
    "RecordMessage",
    "RecordMessageDeleted",
    "RecordMessageEdited",
    "ReopenStep",
    "Role",
    "RoleAssigned",
    "RoleUnassigned",
    "SeverityChanged",
    "SeverityLevel",
    "SkipStep",
    "Stage",
    "StageAdvanced",
    "Step",
    "StepCompleted",
    "StepReopened",
    "StepSkipped",
    "StepState",
    "StoredEvent",
    "TimelineMessage",
    "TimelineTampered",
    "UnassignRole",
    "UnknownIncident",
    "UnknownProtocol",
    "UnknownRole",
    "UnknownStep",
    "UnlinkHashEntry",
    "VerificationReport",
    "decide",
    "due_steps",
    "format_duration",
    "load_protocol",
    "next_deadline",
    "open_event_store",
    "open_incident_service",
    "parse_duration",
    "parse_protocol",
    "replay",
]
