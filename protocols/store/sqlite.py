"""SQLite event store (aiosqlite, WAL, versioned migrations applied on open).

Shares the database file with ``hashdb``; every table here starts with ``incident_`` and the
migration version lives in ``incident_schema_version``. Appends run in ``BEGIN IMMEDIATE``
transactions so two writers cannot interleave; triggers make the log append-only for ordinary
SQL (the hash chain still catches anyone who drops them).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import aiosqlite

from protocols.events import Event
from protocols.store import (
    STORED_COLUMNS,
    StoredEvent,
    StreamHead,
    check_expected_version,
    event_tables_ddl,
    seal,
    stored_from_row,
)

__all__ = ["MIGRATIONS", "SQLiteEventStore"]

MIGRATIONS: tuple[str, ...] = (
    event_tables_ddl("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER")
    + """
    CREATE TRIGGER incident_events_no_update BEFORE UPDATE ON incident_events
    BEGIN SELECT RAISE(ABORT, 'incident_events is append-only'); END;
    CREATE TRIGGER incident_events_no_delete BEFORE DELETE ON incident_events
    BEGIN SELECT RAISE(ABORT, 'incident_events is append-only'); END;
    """,
)


class SQLiteEventStore:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._write_lock = asyncio.Lock()  # one connection: transactions must not interleave

    @classmethod
    async def open(cls, path: str | Path) -> SQLiteEventStore:
        """Open (creating if needed) the database at ``path`` and apply pending migrations."""
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = aiosqlite.Row
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA busy_timeout=5000")
            await cls._migrate(db)
        except BaseException:
            await db.close()
            raise
        return cls(db)

    @staticmethod
    async def _migrate(db: aiosqlite.Connection) -> None:
        async with _immediate(db):
            await db.execute(
                "CREATE TABLE IF NOT EXISTS incident_schema_version (version INTEGER NOT NULL)"
            )
            async with db.execute("SELECT MAX(version) FROM incident_schema_version") as cur:
                row = await cur.fetchone()
            current = (row[0] if row else None) or 0
            for number, script in enumerate(MIGRATIONS, start=1):
                if number > current:
                    for statement in _statements(script):
                        await db.execute(statement)
                    await db.execute(
                        "INSERT INTO incident_schema_version (version) VALUES (?)", (number,)
                    )

    async def append(
        self,
        incident_id: str,
        expected_version: int,
        events: Sequence[Event],
        recorded_at: datetime,
    ) -> list[StoredEvent]:
        async with self._write_lock, _immediate(self._db):
            head = await self.head(incident_id)
            check_expected_version(incident_id, head, expected_version)
            stored = []
            for s in seal(incident_id, head, events, recorded_at):
                cur = await self._db.execute(
                    "INSERT INTO incident_events (incident_id, version, event_type, payload,"
                    " recorded_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        s.incident_id,
                        s.version,
                        s.event_type,
                        s.payload,
                        s.recorded_at.isoformat(),
                        s.prev_hash,
                        s.hash,
                    ),
                )
                stored.append(StoredEvent(**vars(s), position=cur.lastrowid or 0))
            if stored:
                last = stored[-1]
                await self._db.execute(
                    "INSERT INTO incident_streams (incident_id, version, head_hash,"
                    " created_position) VALUES (?, ?, ?, ?) ON CONFLICT (incident_id) DO UPDATE"
                    " SET version = excluded.version, head_hash = excluded.head_hash",
                    (incident_id, last.version, last.hash, stored[0].position),
                )
        return stored

    async def load(self, incident_id: str, after_version: int = 0) -> list[StoredEvent]:
        async with self._db.execute(
            f"SELECT {STORED_COLUMNS} FROM incident_events WHERE incident_id = ? AND version > ?"
            " ORDER BY version",
            (incident_id, after_version),
        ) as cur:
            return [stored_from_row(r) for r in await cur.fetchall()]

    async def head(self, incident_id: str) -> StreamHead | None:
        async with self._db.execute(
            "SELECT version, head_hash FROM incident_streams WHERE incident_id = ?",
            (incident_id,),
        ) as cur:
            row = await cur.fetchone()
        return StreamHead(row[0], row[1]) if row else None

    async def incident_ids(self) -> list[str]:
        async with self._db.execute(
            "SELECT incident_id FROM incident_streams ORDER BY created_position"
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        async with self._db.execute(
            f"SELECT {STORED_COLUMNS} FROM incident_events WHERE position > ?"
            " ORDER BY position LIMIT ?",
            (after_position, limit),
        ) as cur:
            return [stored_from_row(r) for r in await cur.fetchall()]

    async def close(self) -> None:
        await self._db.close()


@asynccontextmanager
async def _immediate(db: aiosqlite.Connection) -> AsyncIterator[None]:
    """A write transaction taken up front (BEGIN IMMEDIATE), rolled back on any error."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """Split a migration script on ';' outside trigger bodies (BEGIN ... END)."""
    statements, current, depth = [], [], 0
    for line in script.strip().splitlines():
        current.append(line)
        upper = line.upper()
        if "BEGIN" in upper.split():
            depth += 1
        if upper.rstrip().endswith("END;"):
            depth -= 1
        if depth == 0 and line.rstrip().endswith(";"):
            statements.append("\n".join(current))
            current = []
    if "".join(current).strip():
        statements.append("\n".join(current))
    return statements
