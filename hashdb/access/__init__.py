"""Access control for the lookup API: keys, scopes, visibility, rate limits, audit (pure core).

No aiohttp, no click: the HTTP adapter (:mod:`hashdb.api`) and the CLI both drive
:class:`AccessService`. Open a store with :func:`open_access_store` (SQLite path or
``postgresql://`` DSN, like :func:`hashdb.open_hash_service`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hashdb.access.api_keys import ApiKey, IssuedKey, Scope
from hashdb.access.audit import AuditAction, AuditRecord
from hashdb.access.errors import (
    AccessError,
    Forbidden,
    InvalidKeyRequest,
    KeyNotFound,
    NotAuthenticated,
    RateLimited,
    TooManyFailedAuthentications,
)
from hashdb.access.policy import can_read, can_remove_entry, check_exercise_request, require_scope
from hashdb.access.service import AccessService, RateLimits
from hashdb.access.store import AccessStore

__all__ = [
    "AccessError",
    "AccessService",
    "AccessStore",
    "ApiKey",
    "AuditAction",
    "AuditRecord",
    "Forbidden",
    "InvalidKeyRequest",
    "IssuedKey",
    "KeyNotFound",
    "NotAuthenticated",
    "RateLimited",
    "RateLimits",
    "Scope",
    "TooManyFailedAuthentications",
    "can_read",
    "can_remove_entry",
    "check_exercise_request",
    "open_access_store",
    "require_scope",
]


async def _open(db: str, schema: str | None) -> AccessStore:
    if db.startswith(("postgresql://", "postgres://")):
        from hashdb.access.store_postgres import PostgresAccessStore

        return await PostgresAccessStore.open(db, schema=schema)
    from hashdb.access.store_sqlite import SQLiteAccessStore

    return await SQLiteAccessStore.open(db)


@asynccontextmanager
async def open_access_store(db: str, *, schema: str | None = None) -> AsyncIterator[AccessStore]:
    """An access store on a SQLite file path (``:memory:`` works) or a PostgreSQL DSN."""
    store = await _open(db, schema)
    try:
        yield store
    finally:
        await store.close()
