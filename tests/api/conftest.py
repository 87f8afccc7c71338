from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp.typedefs
import asyncpg
import pytest
from aiohttp import web

from hashdb import HashService, open_hash_service
from hashdb.access import AccessService, AccessStore, open_access_store
from hashdb.api import ApiConfig, create_app, serve_api
from hashdb.api.app_keys import ACCESS

from .conformance import check_response

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


# -- a real API server on loopback ----------------------------------------------------------


@dataclass
class ApiEnv:
    """A running server on 127.0.0.1 (random port) over a fresh SQLite database."""

    url: str
    db: str
    svc: HashService
    access: AccessService
    session: aiohttp.ClientSession
    clock: FakeClock
    app: web.Application

    async def key(
        self, platform: str = "small", scope: str = "query", exercise: bool = False
    ) -> str:
        issued = await self.access.issue_key(
            platform=platform, scope=scope, created_by="test", exercise=exercise
        )
        return issued.token

    async def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(method, self.url + path, headers=headers, **kwargs) as resp:
            if resp.content_type == "application/json":
                body = await resp.json()
            else:
                body = await resp.text()
            if resp.content_type == "application/json":
                check_response(method, path, resp.status, body)
            return resp.status, body, resp.headers


@asynccontextmanager
async def running_api(
    tmp_path: Path, clock: FakeClock, *, schema: str | None = None, **config: Any
) -> AsyncIterator[ApiEnv]:
    """The API on SQLite in ``tmp_path``, or on PostgreSQL in ``schema`` when one is given."""
    db = PG_DSN if schema else str(tmp_path / "crisisbot.db")
    settings = ApiConfig(**{"key_cache_seconds": 0, "list_cache_seconds": 0, **config})
    async with (
        open_hash_service(db, clock=clock, schema=schema) as svc,
        open_access_store(db, schema=schema) as store,
        aiohttp.ClientSession() as session,
    ):
        app = create_app(hash_service=svc, access_store=store, settings=settings, clock=clock)
        runner = await serve_api(app, "127.0.0.1", 0)
        try:
            port = runner.addresses[0][1]
            yield ApiEnv(f"http://127.0.0.1:{port}", db, svc, app[ACCESS], session, clock, app)
        finally:
            await runner.cleanup()


@pytest.fixture
async def api(tmp_path: Path, clock: FakeClock) -> AsyncIterator[ApiEnv]:
    async with running_api(tmp_path, clock, max_batch=5, max_upload_bytes=200_000) as env:
        yield env
