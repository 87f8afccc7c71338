from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from hashdb.access import AccessStore, open_access_store

PG_DSN = os.environ.get("CRISISBOT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def access_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AccessStore]:
    if request.param == "sqlite":
        async with open_access_store(str(tmp_path / "access.db")) as store:
            yield store
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_DSN)
    await conn.execute(f"CREATE SCHEMA {schema}")
    try:
        async with open_access_store(PG_DSN, schema=schema) as store:
            yield store
    finally:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()
