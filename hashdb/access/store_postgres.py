"""PostgreSQL access store (asyncpg); the same SQL as SQLite with ``$n`` placeholders."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from hashdb.access.store import SqlAccessStore
from hashdb.audit_log import AUDIT_SCHEMA_LOCK

__all__ = ["PostgresAccessStore"]

_PLACEHOLDER = re.compile(r"\?")


def _numbered(sql: str) -> str:
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class PostgresAccessStore(SqlAccessStore):
    serial = "BIGSERIAL PRIMARY KEY"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, dsn: str, *, schema: str | None = None) -> PostgresAccessStore:
        if schema:  # created if missing, like the hash store's
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            finally:
                await conn.close()
        settings = {"search_path": schema} if schema else None
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4, server_settings=settings)
        store = cls(pool)
        try:
            async with pool.acquire() as conn:
                # one migrator at a time, even with several processes starting together (the
                # hash store takes the same lock while it creates the shared audit table)
                await conn.execute("SELECT pg_advisory_lock($1)", AUDIT_SCHEMA_LOCK)
                try:
                    await store._migrate()
                finally:
                    await conn.execute("SELECT pg_advisory_unlock($1)", AUDIT_SCHEMA_LOCK)
        except BaseException:
            await pool.close()
            raise
        return store

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield conn

    async def _execute(self, conn: Any, sql: str, *args: Any) -> None:
        await conn.execute(_numbered(sql), *args)

    async def _fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        async with self._pool.acquire() as conn:
            return list(await conn.fetch(_numbered(sql), *args))

    async def close(self) -> None:
        await self._pool.close()
