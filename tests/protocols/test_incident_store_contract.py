"""One contract for every event store (memory, SQLite, PostgreSQL), plus tamper detection."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiosqlite
import asyncpg
import pytest
from protocol_support import ADMIN, START, VirtualClock

from protocols import (
    AddNote,
    ConcurrencyConflict,
    DeclareIncident,
    EventStore,
    IncidentService,
    MemoryEventStore,
    NoteAdded,
    ProtocolLibrary,
    TimelineTampered,
    open_event_store,
)

PG_DSN = os.environ.get("CRISISBOT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def note(text: str, minutes: int = 0) -> NoteAdded:
    return NoteAdded(at=START + timedelta(minutes=minutes), actor_id="u", actor_name="U", text=text)


@dataclass
class Backend:
    name: str
    store: EventStore
    sql: Callable[[str], Awaitable[None]] | None  # run raw SQL against the same database
    reopen: Callable[[], Awaitable[EventStore]]


SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=["memory", *SQL_BACKENDS])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    async with _open_backend(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture(params=SQL_BACKENDS)
async def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    async with _open_backend(request.param, tmp_path) as opened:
        yield opened


@asynccontextmanager
async def _open_backend(kind: str, tmp_path: Path) -> AsyncIterator[Backend]:
    if kind == "memory":
        store = MemoryEventStore()
        yield Backend("memory", store, None, lambda: _same(store))
        return
    if kind == "sqlite":
        path = str(tmp_path / "events.db")

        async def sqlite_sql(statement: str) -> None:
            async with aiosqlite.connect(path) as db:
                await db.executescript(statement)
                await db.commit()

        opened: list[EventStore] = [await open_event_store(path)]

        async def reopen_sqlite() -> EventStore:
            opened.append(await open_event_store(path))
            return opened[-1]

        yield Backend("sqlite", opened[0], sqlite_sql, reopen_sqlite)
        for store in opened:
            await store.close()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f"CREATE SCHEMA {schema}")

    async def pg_sql(statement: str) -> None:
        await admin.execute(f"SET search_path TO {schema}; {statement}")

    pg_opened: list[EventStore] = [await open_event_store(PG_DSN, schema=schema)]

    async def reopen_pg() -> EventStore:
        pg_opened.append(await open_event_store(PG_DSN, schema=schema))
        return pg_opened[-1]

    try:
        yield Backend("postgres", pg_opened[0], pg_sql, reopen_pg)
    finally:
        for store in pg_opened:
            await store.close()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def _same(store: EventStore) -> EventStore:
    return store


async def test_append_assigns_versions_positions_and_a_chain(backend: Backend) -> None:
    store = backend.store
    first = await store.append("a", 0, [note("1"), note("2")], START)
    second = await store.append("b", 0, [note("x")], START)
    third = await store.append("a", 2, [note("3")], START + timedelta(seconds=1))
    assert [e.version for e in first + third] == [1, 2, 3]
    positions = [e.position for e in first + second + third]
    assert positions == sorted(positions) and len(set(positions)) == 4
    assert first[1].prev_hash == first[0].hash and third[0].prev_hash == first[1].hash
    loaded = await store.load("a")
    assert [e.event for e in loaded] == [note("1"), note("2"), note("3")]
    assert [e.recorded_at for e in loaded] == [START, START, START + timedelta(seconds=1)]
    assert await store.incident_ids() == ["a", "b"]
    assert [e.incident_id for e in await store.read_all(first[0].position, 10)] == ["a", "b", "a"]
    head = await store.head("a")
    assert head is not None and (head.version, head.hash) == (3, third[0].hash)
    assert await store.load("nope") == [] and await store.head("nope") is None


async def test_stale_version_is_a_conflict_and_writes_nothing(backend: Backend) -> None:
    store = backend.store
    await store.append("a", 0, [note("1")], START)
    for stale in (0, 2):
        with pytest.raises(ConcurrencyConflict, match="at version 1"):
            await store.append("a", stale, [note("lost")], START)
    assert len(await store.load("a")) == 1


async def test_reopening_keeps_events_and_migrations_are_idempotent(backend: Backend) -> None:
    await backend.store.append("a", 0, [note("1")], START)
    again = await backend.reopen()
    assert [e.event for e in await again.load("a")] == [note("1")]


async def test_concurrent_services_both_land_via_retry(backend: Backend) -> None:
    clock = VirtualClock()
    library = ProtocolLibrary()
    one = IncidentService(backend.store, library=library, clock=clock)
    two = IncidentService(await backend.reopen(), library=library, clock=clock)
    state = await one.declare(DeclareIncident("gifct-cip", "t", "cip", ADMIN, incident_id="c1"))
    await asyncio.gather(
        *(svc.execute("c1", AddNote(f"n{i}", actor=ADMIN)) for i, svc in enumerate([one, two] * 3))
    )
    final = await one.get(state.id)
    assert sorted(n.text for n in final.notes) == [f"n{i}" for i in range(6)]
    assert (await one.verify("c1")).ok


async def _declared_with_notes(backend: Backend) -> IncidentService:
    svc = IncidentService(backend.store, library=ProtocolLibrary(), clock=VirtualClock())
    await svc.declare(DeclareIncident("gifct-cip", "t", "cip", ADMIN, incident_id="t1"))
    for text in ("first", "second", "third"):
        await svc.execute("t1", AddNote(text, actor=ADMIN))
    assert (await svc.verify("t1")).ok
    return svc


_DROP = {
    "sqlite": "DROP TRIGGER incident_events_no_update; DROP TRIGGER incident_events_no_delete;",
    "postgres": "DROP TRIGGER incident_events_no_change ON incident_events;",
}


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (
            "UPDATE incident_events SET payload = replace(payload, 'second', 'altered')"
            " WHERE version = 4",
            "event 4: content does not match its hash",
        ),
        ("DELETE FROM incident_events WHERE version = 3", "event 4: expected version 3"),
        ("DELETE FROM incident_events WHERE version = 5", "stream head says 5 events"),
        (
            "UPDATE incident_events SET recorded_at = '2020-01-01T00:00:00+00:00'"
            " WHERE version = 2",
            "event 2: content does not match its hash",
        ),
    ],
)
async def test_direct_sql_tampering_is_detected(
    sql_backend: Backend, statement: str, problem: str
) -> None:
    svc = await _declared_with_notes(sql_backend)
    await _sql(sql_backend, _DROP[sql_backend.name] + statement)
    report = await svc.verify("t1")
    assert not report.ok
    assert any(problem in p for p in report.problems), report.problems


async def test_the_log_is_append_only_for_plain_sql(sql_backend: Backend) -> None:
    await _declared_with_notes(sql_backend)
    with pytest.raises(Exception, match="append-only"):
        await _sql(sql_backend, "UPDATE incident_events SET payload = '{}' WHERE version = 1")


async def test_undecodable_payload_is_reported_as_tampering(sql_backend: Backend) -> None:
    svc = await _declared_with_notes(sql_backend)
    await _sql(
        sql_backend,
        _DROP[sql_backend.name]
        + "UPDATE incident_events SET payload = '{\"x\": 1}' WHERE version = 3",
    )
    # a service that has not cached the incident yet (another process, a restart) refuses it
    fresh = IncidentService(sql_backend.store, library=ProtocolLibrary(), clock=VirtualClock())
    with pytest.raises(TimelineTampered, match="verify t1"):
        await fresh.get("t1")
    report = await svc.verify("t1")
    assert any("cannot be decoded" in p for p in report.problems)


async def _sql(backend: Backend, statement: str) -> None:
    assert backend.sql is not None
    await backend.sql(statement)
