"""PostgreSQL hash store (asyncpg): the same SQL as SQLite, for larger deployments.

Writers are serialised with a transaction-scoped advisory lock taken as the first statement of
every write transaction: that keeps change-log ``seq`` values committing in order (PostgreSQL
sequences alone can commit out of order, and a delta-feed reader would skip the late one) and
makes the "already in this list?" check race-free. ``schema`` selects a schema (created if
missing) through ``search_path``; tests use a fresh one each.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from hashdb.audit_log import AUDIT_SCHEMA_LOCK
from hashdb.store.sql import SQLConnection, SQLHashStore

__all__ = ["PostgresHashStore"]

#: advisory lock key shared by every crisisbot process writing hash lists ("hashdb" in ASCII)
WRITE_LOCK_KEY = 0x686173686462
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _numbered(sql: str) -> str:
    """``?`` placeholders to asyncpg's ``$1, $2, ...`` (our SQL has no literal question marks)."""
    counter = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


class _Connection:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        return list(await self._conn.fetch(_numbered(sql), *args))

    async def execute(self, sql: str, *args: Any) -> None:
        await self._conn.execute(_numbered(sql), *args)


class PostgresHashStore(SQLHashStore):
    primary_key = "BIGSERIAL PRIMARY KEY"

    def __init__(self, dsn: str, *, schema: str | None = None) -> None:
        if schema is not None and not _SCHEMA.match(schema):
            raise ValueError(f"bad schema name {schema!r}")
        self.dsn = dsn
        self.schema = schema
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        settings = {}
        if self.schema:
            conn = await asyncpg.connect(self.dsn)
            try:
                await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            except asyncpg.UniqueViolationError:
                pass  # another process created it at the same moment
            finally:
                await conn.close()
            settings["search_path"] = self.schema
        self._pool = await asyncpg.create_pool(
            self.dsn, min_size=1, max_size=8, server_settings=settings
        )
        await self._migrate()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _lock_shared_tables(self, db: SQLConnection) -> None:
        await db.execute("SELECT pg_advisory_xact_lock(?)", AUDIT_SCHEMA_LOCK)

    def _pool_or_fail(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("store is not open")
        return self._pool

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[_Connection]:
        async with self._pool_or_fail().acquire() as conn:
            yield _Connection(conn)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[_Connection]:
        async with self._pool_or_fail().acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
            yield _Connection(conn)
