"""What a drill run needs from the outside: a sink for what players see, the incident engine,
and exercise hashes.

Why ports: the runner is the same whether injects go to a terminal or a Discord channel, and it
must not be able to touch a real hash list. ``DrillIncidents`` is the part of the incident
service a run uses (``protocols.IncidentService`` is one; the bot passes one that writes through
its channels so Discord follows the drill). ``ExerciseHashes`` only knows the one exercise-only
list of the run; the composition root fills it from the real hash database
(``crisisbot.drill_hashes``) and hands the drill an ``ExerciseHashesFactory``, so the drill engine
never imports ``hashdb``.
Imports only ``protocols`` modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from protocols.commands import Command, DeclareIncident
from protocols.state import IncidentState
from protocols.store import StoredEvent
from protocols.timers import DueStep

__all__ = [
    "DrillIncidents",
    "DrillNotice",
    "DrillSink",
    "ExerciseHashes",
    "ExerciseHashesFactory",
    "ExerciseMatch",
    "PostedAt",
]


@dataclass(frozen=True)
class DrillNotice:
    """One thing to show the players. ``text`` has no DRILL mark: every sink adds its own.

    ``kind``: start, inject, upload, report, severity, action, refused, overdue, escalation,
    control (pause/resume/stop) or end. ``image`` carries a synthetic upload's PNG bytes.
    """

    at: timedelta
    kind: str
    text: str
    inject_id: str | None = None
    image: bytes | None = field(default=None, repr=False)


#: Where a sink posted a notice: (channel id, message id), when it is a chat message.
PostedAt = tuple[str, str]


class DrillSink(Protocol):
    async def show(self, notice: DrillNotice) -> PostedAt | None:
        """Show ``notice``; a chat sink returns where it posted it (the timeline records that)."""


@dataclass(frozen=True)
class ExerciseMatch:
    entry_id: str
    distance: int


class ExerciseHashes(Protocol):
    """The hash database as a drill may use it: one exercise-only list, nothing else."""

    @property
    def list_name(self) -> str: ...

    async def create(self, created_by: str) -> None:
        """Create the run's exercise-only list."""

    async def hash_image(self, data: bytes) -> tuple[str, str]:
        """(signal type, hash value) of an image, as real uploads are hashed (PDQ)."""

    async def add(self, signal: str, value: str, *, added_by: str, note: str) -> str:
        """Add a hash to the exercise list; return the entry id."""

    async def lookup(self, signal: str, value: str, data: bytes | None) -> ExerciseMatch | None:
        """The closest match in the exercise list only, from the bytes when there are some."""


class ExerciseHashesFactory(Protocol):
    """Gives a run its exercise hashes: ``list_name`` (``drill:<scenario>:<run>``) is the only
    list they touch, ``incident_id`` is recorded on the entries they add."""

    def __call__(self, list_name: str, *, incident_id: str) -> ExerciseHashes: ...


class DrillIncidents(Protocol):
    """The incident engine as a drill run uses it (what ``protocols.IncidentService`` offers)."""

    #: the engine's own clock (timeline times of what the run records)
    clock: Callable[[], datetime]

    async def declare(self, cmd: DeclareIncident) -> IncidentState:
        """Declare the drill incident (when the run does not drive one opened elsewhere)."""

    async def execute(self, incident_id: str, command: Command) -> list[StoredEvent]:
        """Apply ``command`` to the incident; the new events (an adapter may return none)."""

    async def get(self, incident_id: str) -> IncidentState:
        """The incident's current state."""

    async def events(self, incident_id: str) -> list[StoredEvent]:
        """The incident's timeline (what the after-action report reads)."""

    def due(self, state: IncidentState, now: datetime | None = None) -> list[DueStep]:
        """Due and overdue steps and escalations at ``now``."""

    def next_deadline(self, state: IncidentState, now: datetime | None = None) -> datetime | None:
        """The next time a step falls due after ``now``."""
