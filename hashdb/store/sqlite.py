"""SQLite hash store (aiosqlite): the embedded default.

WAL journal so readers never block the writer; ``busy_timeout`` so a second process waits for the
write lock instead of failing; every write transaction starts with ``BEGIN IMMEDIATE`` so it takes
the lock up front (two processes writing at once queue up and lose nothing, and change-log
``seq`` values commit in order). Writes go through one connection, under an asyncio lock that
keeps this process's coroutines from interleaving statements of two transactions on it.

Reads go through a second connection, with no lock: each statement is its own transaction and
sees what was committed when it began, so a lookup never waits behind a write (an import's
chunk, an add), and aiosqlite runs the two connections in two threads. Why: with one connection
for both, every lookup that needed the store (the change log after an add, the matched entries)
queued behind whatever write held it. A ``":memory:"`` database is private to its connection,
so there reads share the write connection and its lock.

``change_marker`` reads ``PRAGMA data_version`` on a second, plain ``sqlite3`` connection, on the
calling thread: it changes whenever another connection (this store's own included) commits, so a
match skips the change-log read, and its trip to aiosqlite's thread, when nothing was written.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from hashdb.store.sql import SQLHashStore

__all__ = ["SQLiteHashStore"]

BUSY_TIMEOUT_MS = 30_000


class _Connection:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        # One trip to aiosqlite's thread instead of three (execute, fetchall, close): reads sit
        # on every match's path (the index refresh, the matched entries).
        return list(await self._conn.execute_fetchall(sql, args))

    async def execute(self, sql: str, *args: Any) -> None:
        await self._conn.execute(sql, args)


class SQLiteHashStore(SQLHashStore):
    """The hash store in a SQLite file (or ``":memory:"``)."""

    primary_key = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._watch: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        self._conn = conn
        await self._migrate()
        if self.path != ":memory:":
            reader = await aiosqlite.connect(self.path, isolation_level=None)
            await reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await reader.execute("PRAGMA query_only = ON")
            self._reader = reader
            self._watch = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._watch.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def change_marker(self) -> object | None:
        if self._watch is None:
            return None  # ":memory:" is private to this connection: nobody else writes to it
        version: int = self._watch.execute("PRAGMA data_version").fetchone()[0]
        return version

    def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("store is not open")
        return self._conn

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[_Connection]:
        if self._reader is not None:
            yield _Connection(self._reader)
            return
        async with self._lock:  # ":memory:": the write connection is the only one
            yield _Connection(self._connection())

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[_Connection]:
        async with self._lock:
            conn = self._connection()
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Connection(conn)
            except BaseException:
                await conn.rollback()
                raise
            await conn.commit()
