"""The audit log's one table, ``api_audit``, shared by the hash store and the access store.

Why one table written by two stores: an audit record must commit in the same transaction as the
write it describes, or a crash between the two leaves a write nobody can account for. The hash
store (``hashdb.store``) therefore writes the records of list creations and entry additions and
removals itself, inside its write transaction, and the access store (``hashdb.access``) writes
those of key creations and revocations inside its own; ``crisisbot keys audit`` and
``GET /v1/audit`` read them all back in one order (``id``). Both stores live in the same
database (the SQLite file or the PostgreSQL schema), and either may be opened first, so both
create the table with the same statements (``IF NOT EXISTS``).

Owns: the table's definition, its insert statement, how a record becomes a row, and the
PostgreSQL advisory lock key under which either store creates it. Imports nothing but the
standard library: both stores import it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["AUDIT_SCHEMA_LOCK", "audit_row", "audit_table", "insert_audit_sql"]

#: PostgreSQL advisory lock held while a store creates its tables, so two processes opening a
#: fresh database at once (one the hash store, one the access store) never race on ``api_audit``
AUDIT_SCHEMA_LOCK = 781203

#: columns written by ``insert_audit_sql``, in ``audit_row`` order
_COLUMNS = "at, actor, action, target, detail"


def audit_table(primary_key: str) -> list[str]:
    """The statements creating the table (``primary_key``: the dialect's auto-increment key)."""
    return [
        f"""CREATE TABLE IF NOT EXISTS api_audit (
            id {primary_key},
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS api_audit_actor ON api_audit (actor)",
    ]


def insert_audit_sql(rows: int = 1) -> str:
    """``INSERT`` of ``rows`` records (``?`` placeholders, five per record)."""
    return f"INSERT INTO api_audit ({_COLUMNS}) VALUES " + ", ".join(["(?, ?, ?, ?, ?)"] * rows)


def audit_row(
    at: datetime, actor: str, action: str, target: str, detail: Mapping[str, Any]
) -> tuple[str, str, str, str, str]:
    """One record's values for ``insert_audit_sql``: ISO-8601 time, detail as sorted JSON."""
    return (
        at.isoformat(),
        actor,
        action,
        target,
        json.dumps(dict(detail), sort_keys=True, default=str),
    )
