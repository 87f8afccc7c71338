"""The drill run's own record: what was injected, what uploads matched, what players did.

The incident's event log says what the *responders* did; this log says what the *exercise* did
to them (injects, simulated uploads and their match results, hashes added to the exercise list,
actions refused by the engine). The after-action report reads both. Offsets are drill time since
T0. Imports only ``protocols.drills`` modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from protocols.drills.actions import ParticipantAction

__all__ = ["ActionTaken", "DrillLogEntry", "HashAdded", "InjectDelivered", "UploadChecked"]


@dataclass(frozen=True)
class InjectDelivered:
    at: timedelta
    inject_id: str
    kind: str
    summary: str


@dataclass(frozen=True)
class UploadChecked:
    """A simulated upload was hashed and looked up in the drill's exercise list."""

    at: timedelta
    inject_id: str
    signal: str
    value: str
    expected: str | None  # "match", "no_match" or None
    matched: bool
    distance: int | None = None
    entry_id: str | None = None


@dataclass(frozen=True)
class HashAdded:
    at: timedelta
    upload_id: str
    by: str
    entry_id: str
    list_name: str
    signal: str
    value: str


@dataclass(frozen=True)
class ActionTaken:
    at: timedelta
    action: ParticipantAction
    accepted: bool
    message: str
    scripted: bool


DrillLogEntry = InjectDelivered | UploadChecked | HashAdded | ActionTaken
