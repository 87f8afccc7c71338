"""Versioned schema migrations for the hash database's tables (prefix ``hashdb_``).

Each migration is a list of statements; version ``n`` is ``MIGRATIONS[n - 1]``. The applied
version lives in ``hashdb_schema_version`` (our own table: the protocols package shares the SQLite
file and keeps its own). Never edit a released migration; append a new one.
"""

from __future__ import annotations

from hashdb.audit_log import audit_table

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

_V1 = [
    """CREATE TABLE IF NOT EXISTS hashdb_lists (
        id {pk},
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        labels TEXT NOT NULL,
        thresholds TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('block', 'allow')),
        exercise INTEGER NOT NULL,
        owner TEXT,
        visibility TEXT NOT NULL CHECK (visibility IN ('private', 'shared', 'public')),
        shared_with TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS hashdb_entries (
        id {pk},
        list_id INTEGER NOT NULL REFERENCES hashdb_lists(id),
        signal TEXT NOT NULL,
        value TEXT NOT NULL,
        labels TEXT NOT NULL,
        source TEXT NOT NULL,
        incident_id TEXT,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL,
        removed_at TEXT,
        removed_by TEXT,
        removal_reason TEXT,
        quality INTEGER
    )""",
    "CREATE INDEX IF NOT EXISTS hashdb_entries_list ON hashdb_entries (list_id, id)",
    "CREATE INDEX IF NOT EXISTS hashdb_entries_value ON hashdb_entries (signal, value)",
    """CREATE TABLE IF NOT EXISTS hashdb_changes (
        seq {pk},
        kind TEXT NOT NULL CHECK (kind IN ('add', 'remove')),
        entry_id INTEGER NOT NULL REFERENCES hashdb_entries(id),
        at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS hashdb_feedback (
        id {pk},
        entry_id INTEGER NOT NULL REFERENCES hashdb_entries(id),
        verdict TEXT NOT NULL CHECK (verdict IN ('confirmed', 'false_positive')),
        note TEXT NOT NULL,
        by_actor TEXT NOT NULL,
        at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS hashdb_feedback_entry ON hashdb_feedback (entry_id)",
]

# v2: bulk adds look entries up by (list, value) in chunks; without this index each chunk scanned
# the whole list, which made a large import quadratic.
_V2 = [
    "CREATE INDEX IF NOT EXISTS hashdb_entries_list_value ON hashdb_entries (list_id, value)",
]

# v3: derived search hashes stored with an entry (crops of the original, see hashdb.variants);
# the index maps each to its entry, the change log's "add" carries them
_V3 = [
    """CREATE TABLE IF NOT EXISTS hashdb_entry_variants (
        id {pk},
        entry_id INTEGER NOT NULL REFERENCES hashdb_entries(id),
        signal TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS hashdb_entry_variants_entry ON hashdb_entry_variants (entry_id)",
]

# v4: (a) each list keeps its count of active entries, changed by the add or removal in the same
# transaction: reading a list (which every add does) counted the list's rows, ~0.2 s at 100,000
# entries, while holding up lookups; (b) the audit log, written by this store in the transaction
# of the write it describes (hashdb.audit_log; the access store creates the same table).
_V4 = [
    "ALTER TABLE hashdb_lists ADD COLUMN entry_count INTEGER NOT NULL DEFAULT 0",
    """UPDATE hashdb_lists SET entry_count = (SELECT COUNT(*) FROM hashdb_entries e
        WHERE e.list_id = hashdb_lists.id AND e.removed_at IS NULL)""",
    *audit_table("{pk}"),
]

# v5: entries are looked up by a key of their value instead of the value itself. A local-feature
# value ("orb") is 20 KB of text and a PostgreSQL btree entry holds at most about 2.7 KB, so
# indexing (list_id, value) refused every such insert. ``value_key`` is the value itself when it
# is short (every hex hash: exact lookups use the same index as before) and "sha256:<hex digest>"
# of it when it is long (``hashdb.store.sql.value_key``). Rows written before v5 are all short.
_V5 = [
    "ALTER TABLE hashdb_entries ADD COLUMN value_key TEXT",
    "UPDATE hashdb_entries SET value_key = value",
    "DROP INDEX IF EXISTS hashdb_entries_value",
    "DROP INDEX IF EXISTS hashdb_entries_list_value",
    "CREATE INDEX IF NOT EXISTS hashdb_entries_signal_key ON hashdb_entries (signal, value_key)",
    "CREATE INDEX IF NOT EXISTS hashdb_entries_list_key ON hashdb_entries (list_id, value_key)",
]

#: ``{pk}`` is the dialect's auto-incrementing integer primary key.
MIGRATIONS: list[list[str]] = [_V1, _V2, _V3, _V4, _V5]
SCHEMA_VERSION = len(MIGRATIONS)
