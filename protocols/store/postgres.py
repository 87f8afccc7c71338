"""PostgreSQL event store (asyncpg). Same contract and hash chain as the SQLite store.

Appends take a transaction-scoped advisory lock so global positions are committed in order
(a feed reader never skips an event that commits later with a smaller position). ``schema``
selects a PostgreSQL schema (tests use a fresh one each). Tables are prefixed ``incident_``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

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

__all__ = ["MIGRATIONS", "PostgresEventStore"]

_APPEND_LOCK = 0x1C1DE7  # advisory lock key serialising appends
_MIGRATE_LOCK = 0x1C1DE8

MIGRATIONS: tuple[str, ...] = (
    event_tables_ddl("BIGSERIAL PRIMARY KEY", "BIGINT")
    + """
    CREATE FUNCTION incident_events_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'incident_events is append-only'; END; $$ LANGUAGE plpgsql;
    CREATE TRIGGER incident_events_no_change BEFORE UPDATE OR DELETE ON incident_events
    FOR EACH ROW EXECUTE FUNCTION incident_events_append_only();
    """,
)


class PostgresEventStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, dsn: str, *, schema: str | None = None) -> PostgresEventStore:
        settings = {"search_path": schema} if schema else None
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4, server_settings=settings)
        try:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATE_LOCK)
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS incident_schema_version (version INTEGER NOT NULL)"
                )
                current = await conn.fetchval("SELECT MAX(version) FROM incident_schema_version")
                for number, script in enumerate(MIGRATIONS, start=1):
                    if number > (current or 0):
                        await conn.execute(script)
                        await conn.execute(
                            "INSERT INTO incident_schema_version (version) VALUES ($1)", number
                        )
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    async def append(
        self,
        incident_id: str,
        expected_version: int,
        events: Sequence[Event],
        recorded_at: datetime,
    ) -> list[StoredEvent]:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _APPEND_LOCK)
            row = await conn.fetchrow(
                "SELECT version, head_hash FROM incident_streams WHERE incident_id = $1",
                incident_id,
            )
            head = StreamHead(row["version"], row["head_hash"]) if row else None
            check_expected_version(incident_id, head, expected_version)
            stored = []
            for s in seal(incident_id, head, events, recorded_at):
                position = await conn.fetchval(
                    "INSERT INTO incident_events (incident_id, version, event_type, payload,"
                    " recorded_at, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    " RETURNING position",
                    s.incident_id,
                    s.version,
                    s.event_type,
                    s.payload,
                    s.recorded_at.isoformat(),
                    s.prev_hash,
                    s.hash,
                )
                stored.append(StoredEvent(**vars(s), position=position))
            if stored:
                last = stored[-1]
                await conn.execute(
                    "INSERT INTO incident_streams (incident_id, version, head_hash,"
                    " created_position) VALUES ($1, $2, $3, $4) ON CONFLICT (incident_id)"
                    " DO UPDATE SET version = excluded.version, head_hash = excluded.head_hash",
                    incident_id,
                    last.version,
                    last.hash,
                    stored[0].position,
                )
        return stored

    async def load(self, incident_id: str, after_version: int = 0) -> list[StoredEvent]:
        rows = await self._pool.fetch(
            f"SELECT {STORED_COLUMNS} FROM incident_events WHERE incident_id = $1 AND version > $2"
            " ORDER BY version",
            incident_id,
            after_version,
        )
        return [stored_from_row(r) for r in rows]

    async def head(self, incident_id: str) -> StreamHead | None:
        row = await self._pool.fetchrow(
            "SELECT version, head_hash FROM incident_streams WHERE incident_id = $1", incident_id
        )
        return StreamHead(row["version"], row["head_hash"]) if row else None

    async def incident_ids(self) -> list[str]:
        rows = await self._pool.fetch(
            "SELECT incident_id FROM incident_streams ORDER BY created_position"
        )
        return [r["incident_id"] for r in rows]

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        rows = await self._pool.fetch(
            f"SELECT {STORED_COLUMNS} FROM incident_events WHERE position > $1 ORDER BY position"
            " LIMIT $2",
            after_position,
            limit,
        )
        return [stored_from_row(r) for r in rows]

    async def close(self) -> None:
        await self._pool.close()
