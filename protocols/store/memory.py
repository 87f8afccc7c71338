"""In-memory event store: for tests and drills. Same contract as the database stores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from protocols.events import Event
from protocols.store import StoredEvent, StreamHead, check_expected_version, seal

__all__ = ["MemoryEventStore"]


class MemoryEventStore:
    def __init__(self) -> None:
        self._streams: dict[str, list[StoredEvent]] = {}
        self._heads: dict[str, StreamHead] = {}
        self._all: list[StoredEvent] = []

    async def append(
        self,
        incident_id: str,
        expected_version: int,
        events: Sequence[Event],
        recorded_at: datetime,
    ) -> list[StoredEvent]:
        head = self._heads.get(incident_id)
        check_expected_version(incident_id, head, expected_version)
        stored = [
            StoredEvent(**asdict(s), position=len(self._all) + i + 1)
            for i, s in enumerate(seal(incident_id, head, events, recorded_at))
        ]
        if stored:
            self._streams.setdefault(incident_id, []).extend(stored)
            self._all.extend(stored)
            self._heads[incident_id] = StreamHead(stored[-1].version, stored[-1].hash)
        return stored

    async def load(self, incident_id: str, after_version: int = 0) -> list[StoredEvent]:
        return self._streams.get(incident_id, [])[after_version:]

    async def head(self, incident_id: str) -> StreamHead | None:
        return self._heads.get(incident_id)

    async def incident_ids(self) -> list[str]:
        return list(self._streams)

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        return [e for e in self._all if e.position > after_position][:limit]

    async def close(self) -> None:
        return None
