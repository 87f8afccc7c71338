"""SQLite access store (aiosqlite, WAL), sharing the file with the hash database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from hashdb.access.store import SqlAccessStore

__all__ = ["SQLiteAccessStore"]


class SQLiteAccessStore(SqlAccessStore):
    """Why a lock: every transaction runs on this one connection, and two coroutines beginning
    one each (a key created while query counts are flushed) would nest ``BEGIN`` in ``BEGIN``,
    which SQLite refuses; the lock queues them instead."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> SQLiteAccessStore:
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            if path != ":memory:":
                await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA busy_timeout=5000")
            store = cls(conn)
            await store._migrate()
        except BaseException:
            await conn.close()
            raise
        return store

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def _execute(self, conn: Any, sql: str, *args: Any) -> None:
        await conn.execute(sql, args)

    async def _fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        return list(await self._conn.execute_fetchall(sql, args))  # one aiosqlite round trip

    async def close(self) -> None:
        await self._conn.close()
