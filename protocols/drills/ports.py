"""What a drill run needs from the outside: a sink for what players see, and exercise hashes.

Why ports: the runner is the same whether injects go to a terminal or a Discord channel, and it
must not be able to touch a real hash list. ``ExerciseHashes`` only knows the one exercise-only
list of the run; the implementation over the real hash database lives in
:mod:`protocols.drills.exercise_hashes`.
Imports nothing from the rest of crisisbot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

__all__ = ["DrillNotice", "DrillSink", "ExerciseHashes", "ExerciseMatch", "PostedAt"]


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
