"""The SQL shared by the SQLite and PostgreSQL stores.

Both dialects run the same statements (written with ``?`` placeholders; the PostgreSQL store
rewrites them to ``$n``). A subclass supplies three things: a read connection, a serialised write
transaction and the dialect's primary-key type for the migrations. Times are stored as ISO-8601
text in UTC and lists (labels, shared_with) and thresholds as JSON text, so both dialects read back
the very same values.

Every write costs what its rows cost: nothing on the write path reads or counts a whole list
(a list's ``entry_count`` is a column the write itself moves). Every write also appends its audit
records (``hashdb.audit_log``: ``list.create``, ``entry.add``, ``entry.remove``, with the actor the
caller names) in its own transaction, so a crash leaves no write without its record and no entry
point can forget them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from hashdb.audit_log import audit_row, insert_audit_sql
from hashdb.content_hash import HashVariant
from hashdb.errors import EntryNotFound, ListExists, ListNotFound
from hashdb.records import AddedEntries, Change, Entry, HashList, NewEntry
from hashdb.signals import SIGNALS, get_signal
from hashdb.store.base import IndexChange
from hashdb.store.migrations import MIGRATIONS
from hashdb.write_events import ENTRY_ADD, ENTRY_REMOVE, LIST_CREATE

__all__ = ["VALUE_KEY_MAX", "SQLConnection", "SQLHashStore", "value_key"]

#: values up to this many characters are their own lookup key (every hex hash); longer ones
#: (local-feature blobs) are keyed by a digest: a database index entry cannot hold 20 KB
VALUE_KEY_MAX = 128

_IN_CHUNK = 500
_INSERT_CHUNK = 500  # rows per multi-row INSERT (10 parameters each)
_AuditRow = tuple[str, str, str, str, str]

_ENTRY_COLUMNS = """e.id, l.name, e.signal, e.value, e.labels, e.source, e.incident_id,
    e.added_by, e.added_at, e.removed_at, e.removed_by, e.removal_reason, e.quality,
    (SELECT COUNT(*) FROM hashdb_feedback f WHERE f.entry_id = e.id AND f.verdict = 'confirmed'),
    (SELECT COUNT(*) FROM hashdb_feedback f
        WHERE f.entry_id = e.id AND f.verdict = 'false_positive')"""
_ENTRY_FROM = "hashdb_entries e JOIN hashdb_lists l ON l.id = e.list_id"
# entry_count is kept by every add and removal (v4): no read of a list counts its rows
_LIST_SELECT = """SELECT l.name, l.description, l.labels, l.thresholds, l.kind, l.exercise,
    l.owner, l.visibility, l.shared_with, l.created_at, l.created_by, l.entry_count
    FROM hashdb_lists l"""


class SQLConnection(Protocol):
    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]: ...

    async def execute(self, sql: str, *args: Any) -> None: ...


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _entry(row: Sequence[Any]) -> Entry:
    return Entry(
        id=int(row[0]),
        list_name=row[1],
        signal=row[2],
        value=row[3],
        labels=tuple(json.loads(row[4])),
        source=row[5],
        incident_id=row[6],
        added_by=row[7],
        added_at=datetime.fromisoformat(row[8]),
        removed_at=_time(row[9]),
        removed_by=row[10],
        removal_reason=row[11],
        quality=row[12],
        confirmed_count=int(row[13]),
        false_positive_count=int(row[14]),
    )


def _hash_list(row: Sequence[Any]) -> HashList:
    return HashList(
        name=row[0],
        description=row[1],
        labels=tuple(json.loads(row[2])),
        thresholds=json.loads(row[3]),
        kind=row[4],
        exercise=bool(row[5]),
        owner=row[6],
        visibility=row[7],
        shared_with=tuple(json.loads(row[8])),
        created_at=datetime.fromisoformat(row[9]),
        created_by=row[10],
        entry_count=int(row[11]),
    )


def value_key(value: str) -> str:
    """The indexed key an entry is looked up by (migration v5): the value itself when short,
    ``"sha256:" + hex digest`` of it otherwise."""
    if len(value) <= VALUE_KEY_MAX:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def _shown(signal: str, value: str) -> str:
    """A value as an audit record names it (``SignalType.summary``)."""
    return get_signal(signal).summary(value) if signal in SIGNALS else value


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


def _with_variants(entry: Entry, variants: dict[int, tuple[HashVariant, ...]]) -> Entry:
    found = variants.get(entry.id)
    return replace(entry, variants=found) if found else entry


async def _rows_of_entries(
    db: SQLConnection, columns: str, table: str, entry_ids: Collection[int]
) -> list[Sequence[Any]]:
    """``SELECT entry_id, columns FROM table`` for ``entry_ids``, in insertion (id) order within
    each chunk of ``_IN_CHUNK`` ids."""
    wanted = sorted({int(i) for i in entry_ids})
    rows: list[Sequence[Any]] = []
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        rows += await db.fetch(
            f"""SELECT entry_id, {columns} FROM {table}
            WHERE entry_id IN ({_placeholders(len(chunk))}) ORDER BY id""",
            *chunk,
        )
    return rows


async def _variants_of(
    db: SQLConnection, entry_ids: Collection[int]
) -> dict[int, tuple[HashVariant, ...]]:
    """entry id -> its stored variants (in insertion order), for those of ``entry_ids`` with any."""
    return _group_variants(
        await _rows_of_entries(db, "kind, value", "hashdb_entry_variants", entry_ids)
    )


async def _append_audit(db: SQLConnection, rows: Sequence[_AuditRow]) -> None:
    """Audit records (``hashdb.audit_log.audit_row``), in the caller's write transaction."""
    for start in range(0, len(rows), _INSERT_CHUNK):
        chunk = rows[start : start + _INSERT_CHUNK]
        await db.execute(insert_audit_sql(len(chunk)), *(value for row in chunk for value in row))


def _group_variants(rows: Sequence[Sequence[Any]]) -> dict[int, tuple[HashVariant, ...]]:
    """``(entry_id, kind, value)`` rows -> entry id -> variants, in row order."""
    found: dict[int, list[HashVariant]] = {}
    for entry_id, kind, value in rows:
        found.setdefault(int(entry_id), []).append(HashVariant(kind, value))
    return {entry_id: tuple(values) for entry_id, values in found.items()}


class SQLHashStore:
    """HashStore over any connection that speaks the shared SQL (see module docstring)."""

    #: the dialect's auto-incrementing primary key, substituted into the migrations
    primary_key = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def _read(self) -> AbstractAsyncContextManager[SQLConnection]:
        raise NotImplementedError

    def _write(self) -> AbstractAsyncContextManager[SQLConnection]:
        """A transaction that holds the database's write lock from its first statement."""
        raise NotImplementedError

    def change_marker(self) -> object | None:
        return None  # unknown: every refresh reads the change log

    async def _lock_shared_tables(self, db: SQLConnection) -> None:
        """Before migrating: exclude the access store's migrations, which create the shared
        audit table too. Nothing to do where write transactions exclude each other already."""

    # -- migrations -------------------------------------------------------------------------
    async def _migrate(self) -> None:
        async with self._write() as db:
            await db.execute(
                "CREATE TABLE IF NOT EXISTS hashdb_schema_version (version INTEGER NOT NULL)"
            )
            rows = await db.fetch("SELECT MAX(version) FROM hashdb_schema_version")
            current = rows[0][0] or 0
            if current < len(MIGRATIONS):
                await self._lock_shared_tables(db)
            for version in range(current + 1, len(MIGRATIONS) + 1):
                for statement in MIGRATIONS[version - 1]:
                    await db.execute(statement.format(pk=self.primary_key))
                await db.execute("INSERT INTO hashdb_schema_version (version) VALUES (?)", version)

    async def schema_version(self) -> int:
        async with self._read() as db:
            rows = await db.fetch("SELECT MAX(version) FROM hashdb_schema_version")
        return int(rows[0][0] or 0)

    # -- lists ------------------------------------------------------------------------------
    async def create_list(self, hash_list: HashList) -> HashList:
        async with self._write() as db:
            if await db.fetch("SELECT id FROM hashdb_lists WHERE name = ?", hash_list.name):
                raise ListExists(f"hash list {hash_list.name!r} already exists")
            await db.execute(
                """INSERT INTO hashdb_lists (name, description, labels, thresholds, kind,
                exercise, owner, visibility, shared_with, created_at, created_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                hash_list.name,
                hash_list.description,
                json.dumps(list(hash_list.labels)),
                json.dumps(dict(hash_list.thresholds), sort_keys=True),
                hash_list.kind,
                int(hash_list.exercise),
                hash_list.owner,
                hash_list.visibility,
                json.dumps(list(hash_list.shared_with)),
                hash_list.created_at.isoformat(),
                hash_list.created_by,
            )
            await _append_audit(
                db,
                [
                    audit_row(
                        hash_list.created_at,
                        hash_list.created_by,
                        LIST_CREATE,
                        f"list:{hash_list.name}",
                        {"exercise": hash_list.exercise},
                    )
                ],
            )
        return hash_list

    async def get_list(self, name: str) -> HashList | None:
        async with self._read() as db:
            rows = await db.fetch(_LIST_SELECT + " WHERE l.name = ?", name)
        return _hash_list(rows[0]) if rows else None

    async def lists(self) -> list[HashList]:
        async with self._read() as db:
            rows = await db.fetch(_LIST_SELECT + " ORDER BY l.name")
        return [_hash_list(r) for r in rows]

    # -- entries ----------------------------------------------------------------------------
    async def add_entries(
        self, list_name: str, items: Sequence[NewEntry], *, added_by: str, at: datetime
    ) -> AddedEntries:
        when = at.isoformat()
        keys = [(item.signal, item.value) for item in items]
        async with self._write() as db:
            found = await db.fetch("SELECT id FROM hashdb_lists WHERE name = ?", list_name)
            if not found:
                raise ListNotFound(f"no hash list named {list_name!r}")
            list_id = found[0][0]
            # a few statements per chunk of rows, not per row: bulk imports are mostly SQL time
            existing = await self._active_ids(db, list_id, keys)
            fresh = {k: item for k, item in zip(keys, items, strict=True) if k not in existing}
            rows = list(fresh.values())
            for start in range(0, len(rows), _INSERT_CHUNK):
                chunk = rows[start : start + _INSERT_CHUNK]
                await db.execute(
                    """INSERT INTO hashdb_entries (list_id, signal, value, value_key, labels,
                    source, incident_id, added_by, added_at, quality) VALUES """
                    + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk)),
                    *(
                        value
                        for item in chunk
                        for value in (
                            list_id,
                            item.signal,
                            item.value,
                            value_key(item.value),
                            json.dumps(list(item.labels)),
                            item.source,
                            item.incident_id,
                            added_by,
                            when,
                            item.quality,
                        )
                    ),
                )
            created = await self._active_ids(db, list_id, list(fresh))
            await self._insert_variants(db, created, fresh)
            new_ids = sorted(created.values())
            for start in range(0, len(new_ids), _INSERT_CHUNK):
                chunk_ids = new_ids[start : start + _INSERT_CHUNK]
                await db.execute(
                    "INSERT INTO hashdb_changes (kind, entry_id, at) VALUES "
                    + ", ".join(["('add', ?, ?)"] * len(chunk_ids)),
                    *(value for entry_id in chunk_ids for value in (entry_id, when)),
                )
            if new_ids:
                await db.execute(
                    "UPDATE hashdb_lists SET entry_count = entry_count + ? WHERE id = ?",
                    len(new_ids),
                    list_id,
                )
            await _append_audit(
                db,
                [
                    audit_row(
                        at,
                        added_by,
                        ENTRY_ADD,
                        f"entry:{entry_id}",
                        # a local-feature value (20 KB) by its summary: the entry holds it
                        {"list": list_name, "signal": signal, "value": _shown(signal, value)},
                    )
                    for (signal, value), entry_id in sorted(created.items(), key=lambda kv: kv[1])
                ],
            )
        ids = {**existing, **created}
        by_id = await self.get_entries(ids.values())
        return AddedEntries([by_id[ids[k]] for k in keys], created=created.values())

    @staticmethod
    async def _insert_variants(
        db: SQLConnection,
        created: dict[tuple[str, str], int],
        fresh: dict[tuple[str, str], NewEntry],
    ) -> None:
        rows = [
            (created[key], item.signal, variant.kind, variant.value)
            for key, item in fresh.items()
            for variant in item.variants
        ]
        for start in range(0, len(rows), _INSERT_CHUNK):
            chunk = rows[start : start + _INSERT_CHUNK]
            await db.execute(
                "INSERT INTO hashdb_entry_variants (entry_id, signal, kind, value) VALUES "
                + ", ".join(["(?, ?, ?, ?)"] * len(chunk)),
                *(value for row in chunk for value in row),
            )

    @staticmethod
    async def _active_ids(
        db: SQLConnection, list_id: int, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], int]:
        """(signal, value) -> id of the active entry in the list, for those of ``keys`` present
        (looked up by ``value_key``, then compared whole)."""
        out: dict[tuple[str, str], int] = {}
        lookup = sorted({value_key(value) for _, value in keys})
        wanted = set(keys)
        for start in range(0, len(lookup), _IN_CHUNK):
            chunk = lookup[start : start + _IN_CHUNK]
            rows = await db.fetch(
                f"""SELECT signal, value, id FROM hashdb_entries WHERE list_id = ?
                AND removed_at IS NULL AND value_key IN ({_placeholders(len(chunk))})""",
                list_id,
                *chunk,
            )
            out.update(((r[0], r[1]), int(r[2])) for r in rows if (r[0], r[1]) in wanted)
        return out

    async def remove_entry(
        self, entry_id: int, *, reason: str, removed_by: str, at: datetime
    ) -> Entry:
        async with self._write() as db:
            rows = await db.fetch(
                f"SELECT e.removed_at, e.removed_by, l.name FROM {_ENTRY_FROM} WHERE e.id = ?",
                entry_id,
            )
            if not rows:
                raise EntryNotFound(f"no entry with id {entry_id}")
            if rows[0][0] is not None:
                raise EntryNotFound(
                    f"entry {entry_id} was already removed at {rows[0][0]} by {rows[0][1]}"
                )
            await db.execute(
                """UPDATE hashdb_entries SET removed_at = ?, removed_by = ?, removal_reason = ?
                WHERE id = ?""",
                at.isoformat(),
                removed_by,
                reason,
                entry_id,
            )
            await db.execute(
                "INSERT INTO hashdb_changes (kind, entry_id, at) VALUES ('remove', ?, ?)",
                entry_id,
                at.isoformat(),
            )
            await db.execute(
                """UPDATE hashdb_lists SET entry_count = entry_count - 1
                WHERE id = (SELECT list_id FROM hashdb_entries WHERE id = ?)""",
                entry_id,
            )
            await _append_audit(
                db,
                [
                    audit_row(
                        at,
                        removed_by,
                        ENTRY_REMOVE,
                        f"entry:{entry_id}",
                        {"list": rows[0][2], "reason": reason},
                    )
                ],
            )
        return (await self.get_entries([entry_id]))[entry_id]

    async def get_entries(self, entry_ids: Collection[int]) -> dict[int, Entry]:
        wanted = sorted({int(i) for i in entry_ids})
        out: dict[int, Entry] = {}
        async with self._read() as db:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                rows = await db.fetch(
                    f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_FROM} "
                    f"WHERE e.id IN ({_placeholders(len(chunk))})",
                    *chunk,
                )
                out.update((int(r[0]), _entry(r)) for r in rows)
            variants = await _variants_of(db, out)
        return {entry_id: _with_variants(entry, variants) for entry_id, entry in out.items()}

    async def entries(self, list_name: str, *, include_removed: bool) -> list[Entry]:
        where = "l.name = ?" + ("" if include_removed else " AND e.removed_at IS NULL")
        async with self._read() as db:
            rows = await db.fetch(
                f"SELECT {_ENTRY_COLUMNS} FROM {_ENTRY_FROM} WHERE {where} ORDER BY e.id",
                list_name,
            )
            variant_rows = await db.fetch(
                f"""SELECT v.entry_id, v.kind, v.value FROM {_ENTRY_FROM}
                JOIN hashdb_entry_variants v ON v.entry_id = e.id WHERE {where} ORDER BY v.id""",
                list_name,
            )
        variants = _group_variants(variant_rows)
        return [_with_variants(_entry(r), variants) for r in rows]

    # -- change log -------------------------------------------------------------------------
    async def changes(self, since: int, limit: int, lists: Collection[str] | None) -> list[Change]:
        where = "c.seq > ?"
        args: list[object] = [since]
        if lists is not None:
            names = sorted(lists)
            if not names:
                return []
            where += f" AND l.name IN ({_placeholders(len(names))})"
            args.extend(names)
        async with self._read() as db:
            rows = await db.fetch(
                f"""SELECT c.seq, c.kind, c.at, {_ENTRY_COLUMNS}
                FROM hashdb_changes c JOIN hashdb_entries e ON e.id = c.entry_id
                JOIN hashdb_lists l ON l.id = e.list_id
                WHERE {where} ORDER BY c.seq LIMIT ?""",
                *args,
                limit,
            )
            variants = await _variants_of(db, {int(r[3]) for r in rows})
        return [
            Change(
                seq=int(r[0]),
                kind=r[1],
                at=datetime.fromisoformat(r[2]),
                entry=(entry := _with_variants(_entry(r[3:]), variants)),
                list_name=entry.list_name,
            )
            for r in rows
        ]

    async def index_changes(self, since: int, limit: int) -> list[IndexChange]:
        async with self._read() as db:
            rows = await db.fetch(
                """SELECT c.seq, c.kind, e.id, l.name, e.signal, e.value
                FROM hashdb_changes c JOIN hashdb_entries e ON e.id = c.entry_id
                JOIN hashdb_lists l ON l.id = e.list_id
                WHERE c.seq > ? ORDER BY c.seq LIMIT ?""",
                since,
                limit,
            )
            if not rows:  # the usual answer on a match's path: no second round trip
                return []
            # one query for the page's variants (a refresh reads the whole log in pages)
            variant_rows = await db.fetch(
                """SELECT v.entry_id, v.kind, v.value FROM hashdb_changes c
                JOIN hashdb_entry_variants v ON v.entry_id = c.entry_id
                WHERE c.seq > ? AND c.seq <= ? AND c.kind = 'add' ORDER BY v.id""",
                since,
                int(rows[-1][0]),
            )
        variants = _group_variants(variant_rows)
        return [
            IndexChange(int(r[0]), r[1], int(r[2]), r[3], r[4], r[5], variants.get(int(r[2]), ()))
            for r in rows
        ]

    # -- feedback ---------------------------------------------------------------------------
    async def record_feedback(
        self, entry_id: int, *, verdict: str, note: str, by: str, at: datetime
    ) -> None:
        async with self._write() as db:
            if not await db.fetch("SELECT id FROM hashdb_entries WHERE id = ?", entry_id):
                raise EntryNotFound(f"no entry with id {entry_id}")
            await db.execute(
                """INSERT INTO hashdb_feedback (entry_id, verdict, note, by_actor, at)
                VALUES (?, ?, ?, ?, ?)""",
                entry_id,
                verdict,
                note,
                by,
                at.isoformat(),
            )

    async def verdicts(self, entry_ids: Collection[int]) -> dict[int, list[tuple[str, str]]]:
        async with self._read() as db:
            rows = await _rows_of_entries(db, "by_actor, verdict", "hashdb_feedback", entry_ids)
        out: dict[int, list[tuple[str, str]]] = {}
        for entry_id, by, verdict in rows:  # one entry's rows all come in one chunk, by id
            out.setdefault(int(entry_id), []).append((by, verdict))
        return out
