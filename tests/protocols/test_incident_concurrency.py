"""Several responders acting on one incident at once through one ``IncidentService`` (as the bot
does): readers and writers never raise, never lose an accepted action, and every state handed out
is exactly the stored timeline up to its version.

Two tasks add notes while three read, on SQLite, PostgreSQL and the memory store. The memory store
answers without ever waiting, so it is wrapped to hand control to the other tasks inside every
read and write, as a database does while the server works (``asyncio.sleep(0)`` is a yield point,
not a wait for anything); each task also yields between its actions, so reads and writes
interleave in every order the event loop can produce.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from protocol_support import ADMIN, VirtualClock

from protocols import (
    INCIDENT_ADMIN,
    Actor,
    AddNote,
    DeclareIncident,
    IncidentService,
    ProtocolLibrary,
    replay,
)
from protocols.events import Event
from protocols.service import open_event_store, open_incident_service
from protocols.state import IncidentState
from protocols.store import EventStore, StoredEvent, StreamHead
from protocols.store.memory import MemoryEventStore

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
NOTES_PER_WRITER = 60
READERS = 3
BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class YieldingStore:
    """The memory store, yielding to other tasks before and after every call."""

    def __init__(self) -> None:
        self.inner = MemoryEventStore()

    async def append(
        self, incident_id: str, expected_version: int, events: Sequence[Event], at: datetime
    ) -> list[StoredEvent]:
        await asyncio.sleep(0)
        stored = await self.inner.append(incident_id, expected_version, events, at)
        await asyncio.sleep(0)
        return stored

    async def load(self, incident_id: str, after_version: int = 0) -> list[StoredEvent]:
        await asyncio.sleep(0)
        records = await self.inner.load(incident_id, after_version)
        await asyncio.sleep(0)
        return records

    async def head(self, incident_id: str) -> StreamHead | None:
        return await self.inner.head(incident_id)

    async def incident_ids(self) -> list[str]:
        return await self.inner.incident_ids()

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        return await self.inner.read_all(after_position, limit)

    async def close(self) -> None:
        await self.inner.close()


@asynccontextmanager
async def _store(kind: str, tmp_path: Path) -> AsyncIterator[EventStore]:
    if kind == "memory":
        yield YieldingStore()
    elif kind == "sqlite":
        yield await open_event_store(str(tmp_path / "busy.db"))
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(PG_DSN)
        await admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield await open_event_store(PG_DSN, schema=schema)
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
            await admin.close()


async def _write(svc: IncidentService, incident_id: str, name: str) -> list[str]:
    accepted = []
    actor = Actor(f"u-{name}", name, frozenset({INCIDENT_ADMIN}))
    for i in range(NOTES_PER_WRITER):
        text = f"{name} {i}"
        await svc.execute(incident_id, AddNote(text, actor=actor))
        accepted.append(text)
        await asyncio.sleep(0)
    return accepted


async def _read(
    svc: IncidentService, incident_id: str, writing: asyncio.Event
) -> list[IncidentState]:
    seen = []
    while writing.is_set():
        seen.append(await svc.get(incident_id))
        await asyncio.sleep(0)
    seen.append(await svc.get(incident_id))
    return seen


@pytest.mark.parametrize("kind", BACKENDS)
async def test_two_writers_and_three_readers_on_one_incident(
    kind: str, tmp_path: Path, library: ProtocolLibrary
) -> None:
    async with (
        _store(kind, tmp_path) as store,
        open_incident_service("", library=library, clock=VirtualClock(), store=store) as svc,
    ):
        declared = await svc.declare(DeclareIncident("gifct-cip", "Busy", "cip", ADMIN))
        writing = asyncio.Event()
        writing.set()
        readers = [asyncio.create_task(_read(svc, declared.id, writing)) for _ in range(READERS)]
        writers = [asyncio.create_task(_write(svc, declared.id, n)) for n in ("bob", "carol")]
        try:
            accepted = await asyncio.gather(*writers)
        finally:
            writing.clear()
            seen = await asyncio.gather(*readers)
        records = await svc.events(declared.id)
        stored = [n.text for n in replay(r.event for r in records).notes]
        # every accepted note is stored exactly once, each writer's in its own order
        assert sorted(stored) == sorted(accepted[0] + accepted[1])
        for own in accepted:
            assert [t for t in stored if t.split()[0] == own[0].split()[0]] == own
        # every state handed out is the stored timeline up to its version, and stayed so
        for state in [s for states in seen for s in states] + [await svc.get(declared.id)]:
            assert state == replay(r.event for r in records[: state.version])
        assert (await svc.get(declared.id)).version == records[-1].version
