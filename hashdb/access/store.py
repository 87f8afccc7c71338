"""Where the access layer keeps its state: keys, audit log, usage counts and sync cursors.

One interface, :class:`AccessStore`, with an SQLite (default, shares the hashdb file) and a
PostgreSQL implementation in :mod:`hashdb.access.store_sqlite` and
:mod:`hashdb.access.store_postgres`. Both run the same SQL through :class:`SqlAccessStore`, which
only needs a dialect to bind parameters, begin transactions and fetch rows; a shared contract test
suite runs against both.

Tables are prefixed ``api_`` and versioned in ``api_schema_version``. Times are stored as ISO-8601
UTC text so both backends read back identical aware datetimes. The audit table is shared with the
hash store, which writes the records of hash-list writes in its own transactions
(:mod:`hashdb.audit_log`); this store writes those of key changes and reads them all.

The sync tables also live here because they are the API's own state on the client side: the
cursor per remote source, and the remote-entry-id -> local-entry-id map that makes applying a page
of the delta feed idempotent (an interrupted sync re-applies a page without duplicating entries).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from hashdb.access.api_keys import ApiKey, Scope
from hashdb.access.audit import AuditRecord
from hashdb.audit_log import audit_row, audit_table, insert_audit_sql

__all__ = ["AccessStore", "SqlAccessStore", "MIGRATIONS"]


class AccessStore(Protocol):
    async def create_key(self, key: ApiKey, token_hash: str, audit: AuditRecord) -> None: ...
    async def find_key(self, key_id: str) -> tuple[ApiKey, str] | None: ...
    async def keys(self) -> list[ApiKey]: ...
    async def revoke_key(
        self, key_id: str, at: datetime, by: str, audit: AuditRecord
    ) -> ApiKey | None: ...
    async def add_usage(self, usage: Mapping[str, tuple[int, datetime]]) -> None: ...
    async def append_audit(self, records: Sequence[AuditRecord]) -> None: ...
    async def audit(
        self, *, limit: int = 100, actor: str | None = None, action: str | None = None
    ) -> list[AuditRecord]: ...
    async def get_cursor(self, source: str) -> str | None: ...
    async def set_cursor(self, source: str, cursor: str, at: datetime) -> None: ...
    async def mirror_entry(self, source: str, remote_id: str) -> str | None: ...
    async def set_mirror_entry(self, source: str, remote_id: str, local_id: str) -> None: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...


#: (version, statements); ``{serial}`` is the dialect's auto-increment primary key.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """CREATE TABLE api_keys (
                key_id TEXT PRIMARY KEY,
                token_hash TEXT NOT NULL,
                platform TEXT NOT NULL,
                scope TEXT NOT NULL,
                exercise INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL,
                revoked_at TEXT,
                revoked_by TEXT,
                query_count BIGINT NOT NULL DEFAULT 0,
                last_used_at TEXT
            )""",
            # shared with the hash store, which may have created it first (hashdb.audit_log);
            # the same statements as this migration's original ones, made IF NOT EXISTS
            *audit_table("{serial}"),
            """CREATE TABLE api_sync_cursor (
                source TEXT PRIMARY KEY,
                cursor TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            """CREATE TABLE api_sync_entry (
                source TEXT NOT NULL,
                remote_id TEXT NOT NULL,
                local_id TEXT NOT NULL,
                PRIMARY KEY (source, remote_id)
            )""",
        ],
    ),
]

_KEY_COLUMNS = (
    "key_id, token_hash, platform, scope, exercise, created_at, created_by, revoked_at,"
    " revoked_by, query_count, last_used_at"
)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _key_from_row(row: Sequence[Any]) -> tuple[ApiKey, str]:
    key = ApiKey(
        key_id=row[0],
        platform=row[2],
        scope=Scope(row[3]),
        exercise=bool(row[4]),
        created_at=datetime.fromisoformat(row[5]),
        created_by=row[6],
        revoked_at=_dt(row[7]),
        revoked_by=row[8],
        query_count=int(row[9]),
        last_used_at=_dt(row[10]),
    )
    return key, row[1]


class SqlAccessStore(ABC):
    """All the SQL of the access store; subclasses supply the connection primitives.

    Statements are written with ``?`` placeholders; a dialect that needs ``$1`` rewrites them in
    :meth:`_sql`.
    """

    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"

    @abstractmethod
    def _transaction(self) -> AbstractAsyncContextManager[Any]: ...

    @abstractmethod
    async def _execute(self, conn: Any, sql: str, *args: Any) -> None: ...

    @abstractmethod
    async def _fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]: ...

    async def _migrate(self) -> None:
        async with self._transaction() as conn:
            await self._execute(
                conn,
                "CREATE TABLE IF NOT EXISTS api_schema_version (version INTEGER NOT NULL)",
            )
        rows = await self._fetch("SELECT MAX(version) FROM api_schema_version")
        current = rows[0][0] or 0
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            async with self._transaction() as conn:
                for statement in statements:
                    await self._execute(conn, statement.format(serial=self.serial))
                await self._execute(
                    conn, "INSERT INTO api_schema_version (version) VALUES (?)", version
                )

    async def _insert_audit(self, conn: Any, record: AuditRecord) -> None:
        await self._execute(
            conn,
            insert_audit_sql(),
            *audit_row(record.at, record.actor, record.action, record.target, record.detail),
        )

    async def create_key(self, key: ApiKey, token_hash: str, audit: AuditRecord) -> None:
        async with self._transaction() as conn:
            await self._execute(
                conn,
                f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                key.key_id,
                token_hash,
                key.platform,
                key.scope.value,
                int(key.exercise),
                key.created_at.isoformat(),
                key.created_by,
                _iso(key.revoked_at),
                key.revoked_by,
                key.query_count,
                _iso(key.last_used_at),
            )
            await self._insert_audit(conn, audit)

    async def find_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        rows = await self._fetch(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_id = ?", key_id)
        return _key_from_row(rows[0]) if rows else None

    async def keys(self) -> list[ApiKey]:
        rows = await self._fetch(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY created_at, key_id")
        return [_key_from_row(row)[0] for row in rows]

    async def revoke_key(
        self, key_id: str, at: datetime, by: str, audit: AuditRecord
    ) -> ApiKey | None:
        found = await self.find_key(key_id)
        if found is None:
            return None
        key = found[0]
        if not key.active:
            return key
        async with self._transaction() as conn:
            await self._execute(
                conn,
                "UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE key_id = ?",
                at.isoformat(),
                by,
                key_id,
            )
            await self._insert_audit(conn, audit)
        return key.revoked(at, by)

    async def add_usage(self, usage: Mapping[str, tuple[int, datetime]]) -> None:
        if not usage:
            return
        async with self._transaction() as conn:
            for key_id, (count, at) in usage.items():
                await self._execute(
                    conn,
                    "UPDATE api_keys SET query_count = query_count + ?, last_used_at = ?"
                    " WHERE key_id = ?",
                    count,
                    at.isoformat(),
                    key_id,
                )

    async def append_audit(self, records: Sequence[AuditRecord]) -> None:
        async with self._transaction() as conn:
            for record in records:
                await self._insert_audit(conn, record)

    async def audit(
        self, *, limit: int = 100, actor: str | None = None, action: str | None = None
    ) -> list[AuditRecord]:
        where, args = [], []
        if actor is not None:
            where.append("actor = ?")
            args.append(actor)
        if action is not None:
            where.append("action = ?")
            args.append(action)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._fetch(
            f"SELECT id, at, actor, action, target, detail FROM api_audit {clause}"
            " ORDER BY id DESC LIMIT ?",
            *args,
            limit,
        )
        return [
            AuditRecord(
                record_id=int(row[0]),
                at=datetime.fromisoformat(row[1]),
                actor=row[2],
                action=row[3],
                target=row[4],
                detail=json.loads(row[5]),
            )
            for row in rows
        ]

    async def get_cursor(self, source: str) -> str | None:
        rows = await self._fetch("SELECT cursor FROM api_sync_cursor WHERE source = ?", source)
        return rows[0][0] if rows else None

    async def set_cursor(self, source: str, cursor: str, at: datetime) -> None:
        async with self._transaction() as conn:
            await self._execute(
                conn,
                "INSERT INTO api_sync_cursor (source, cursor, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor,"
                " updated_at = excluded.updated_at",
                source,
                cursor,
                at.isoformat(),
            )

    async def mirror_entry(self, source: str, remote_id: str) -> str | None:
        rows = await self._fetch(
            "SELECT local_id FROM api_sync_entry WHERE source = ? AND remote_id = ?",
            source,
            remote_id,
        )
        return rows[0][0] if rows else None

    async def set_mirror_entry(self, source: str, remote_id: str, local_id: str) -> None:
        async with self._transaction() as conn:
            await self._execute(
                conn,
                "INSERT INTO api_sync_entry (source, remote_id, local_id) VALUES (?, ?, ?)"
                " ON CONFLICT (source, remote_id) DO UPDATE SET local_id = excluded.local_id",
                source,
                remote_id,
                local_id,
            )

    async def ping(self) -> None:
        await self._fetch("SELECT 1")
