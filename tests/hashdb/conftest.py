from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from hashdb import HashService, open_hash_service
from hashdb.store import HashStore, SQLiteHashStore
from hashdb.store.postgres import PostgresHashStore

PG_DSN = os.environ.get("CRISISBOT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@asynccontextmanager
async def throwaway_schema() -> AsyncIterator[str]:
    """A fresh PostgreSQL schema name, dropped afterwards (so parallel runs never collide)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        yield schema
    finally:
        conn = await asyncpg.connect(PG_DSN)
        try:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def service(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[HashService]:
    """A fresh service on each backend (PostgreSQL in a throwaway schema)."""
    if request.param == "sqlite":
        async with open_hash_service(str(tmp_path / "hashdb.db"), clock=clock) as svc:
            yield svc
        return
    async with (
        throwaway_schema() as schema,
        open_hash_service(PG_DSN, clock=clock, schema=schema) as svc,
    ):
        yield svc


@asynccontextmanager
async def opened(backend: HashStore) -> AsyncIterator[HashStore]:
    await backend.open()
    try:
        yield backend
    finally:
        await backend.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[HashStore]:
    """A fresh, open store on each backend."""
    if request.param == "sqlite":
        async with opened(SQLiteHashStore(tmp_path / "store.db")) as backend:
            yield backend
        return
    async with throwaway_schema() as schema, opened(PostgresHashStore(PG_DSN, schema=schema)) as b:
        yield b


@dataclass(frozen=True)
class Database:
    """Where a test's services live: ``db`` and ``schema`` for the openers, ``url`` for the CLI."""

    db: str
    schema: str | None = None

    @property
    def url(self) -> str:
        """The CLI's ``--db``: the SQLite path, or the DSN selecting the schema."""
        return self.db if self.schema is None else f"{self.db}?search_path={self.schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database on each backend (PostgreSQL: a throwaway schema, created up front so a
    CLI subprocess can select it with ``?search_path=``)."""
    if request.param == "sqlite":
        yield Database(str(tmp_path / "crisisbot.db"))
        return
    async with throwaway_schema() as schema:
        conn = await asyncpg.connect(PG_DSN)
        try:
            await conn.execute(f"CREATE SCHEMA {schema}")
        finally:
            await conn.close()
        yield Database(PG_DSN, schema)
