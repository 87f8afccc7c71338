"""Hash stores: the only code that talks to a database.

``open_store(db)`` picks the implementation from the string: ``postgresql://`` / ``postgres://``
DSNs use PostgreSQL (asyncpg), anything else is a SQLite file path (``":memory:"`` works).
"""

from __future__ import annotations

from hashdb.store.base import HashStore, IndexChange
from hashdb.store.sqlite import SQLiteHashStore

__all__ = ["HashStore", "IndexChange", "SQLiteHashStore", "make_store"]


def make_store(db: str, *, schema: str | None = None) -> HashStore:
    """An unopened store for ``db``: a SQLite path, or a PostgreSQL DSN (in ``schema``)."""
    if db.startswith(("postgresql://", "postgres://")):
        from hashdb.store.postgres import PostgresHashStore

        return PostgresHashStore(db, schema=schema)
    return SQLiteHashStore(db)
