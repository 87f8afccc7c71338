"""The drill's view of the real hash database: one exercise-only list, and nothing else.

Fills the drill engine's ``ExerciseHashes`` port (``protocols.drills.ports``) from a
``hashdb.HashService``; the composition root hands :func:`exercise_hashes_over` to every drill
(``crisisbot drill run``, the bot's ``/drill``), so neither core imports the other.

Why this wrapper: a drill must never add to, or even look up in, a real list. Every call here
names the run's own list (``drill:<scenario>:<run>``), created with ``exercise=True``, and adds
entries with ``exercise=True``; the hash service itself refuses to mix drill and real content
(``DrillListViolation``), and the lookup API shows exercise lists only to exercise keys that ask
for them. A platform rehearsing with an exercise key can therefore match against the drill.
Imports the ``hashdb`` and ``protocols`` cores (never an adapter).
"""

from __future__ import annotations

from hashdb import HashService
from protocols.drills.errors import DrillError
from protocols.drills.ports import ExerciseHashesFactory, ExerciseMatch

__all__ = ["HashServiceExercise", "exercise_hashes_over"]


def exercise_hashes_over(service: HashService) -> ExerciseHashesFactory:
    """The ``ExerciseHashesFactory`` a drill gets: each run's list in ``service``'s database."""

    def exercise_hashes(list_name: str, *, incident_id: str) -> HashServiceExercise:
        return HashServiceExercise(service, list_name, incident_id=incident_id)

    return exercise_hashes


class HashServiceExercise:
    """``ExerciseHashes`` over a ``hashdb.HashService``."""

    def __init__(self, service: HashService, list_name: str, *, incident_id: str | None = None):
        if not list_name.startswith("drill:"):
            raise DrillError(f"exercise list names start with 'drill:', got {list_name!r}")
        self.service = service
        self._name = list_name
        self.incident_id = incident_id

    @property
    def list_name(self) -> str:
        return self._name

    async def create(self, created_by: str) -> None:
        await self.service.create_list(
            self._name,
            description="DRILL: exercise-only hash list of one drill run",
            labels=("drill",),
            exercise=True,  # shown only to exercise API keys that ask for drill lists
            created_by=created_by,
        )

    async def hash_image(self, data: bytes) -> tuple[str, str]:
        hashes = await self.service.hash_bytes(data, name="<drill upload>")
        pdq = next(h for h in hashes if h.signal == "pdq")
        return pdq.signal, pdq.value

    async def add(self, signal: str, value: str, *, added_by: str, note: str) -> str:
        entry = await self.service.add_entry(
            self._name,
            signal,
            value,
            labels=("drill",),
            source=note,
            incident_id=self.incident_id,
            added_by=added_by,
            exercise=True,
        )
        return str(entry.id)

    async def lookup(self, signal: str, value: str, data: bytes | None) -> ExerciseMatch | None:
        lists = [self._name]
        if data is not None:
            results = await self.service.match_bytes(
                data, name="<drill upload>", lists=lists, include_exercise=True
            )
        else:
            results = [await self.service.match(signal, value, lists=lists, include_exercise=True)]
        matches = [m for r in results if r.query.signal == signal for m in r.matches]
        if not matches:
            return None
        best = min(matches, key=lambda m: (m.distance, m.entry.id))
        return ExerciseMatch(entry_id=str(best.entry.id), distance=best.distance)
