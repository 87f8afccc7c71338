"""One contract for every HashStore (SQLite and PostgreSQL): the service relies on exactly this."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hashdb import EntryNotFound, HashList, ListExists, ListNotFound, NewEntry
from hashdb.content_hash import HashVariant
from hashdb.store import HashStore, SQLiteHashStore, sql
from hashdb.store.migrations import MIGRATIONS, SCHEMA_VERSION
from hashdb.store.postgres import PostgresHashStore

from .conftest import PG_DSN, opened, throwaway_schema

T0 = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def a_list(name: str = "christchurch", **changes: object) -> HashList:
    values: dict[str, object] = {
        "name": name,
        "description": "perpetrator video frames",
        "labels": ("tve", "christchurch-2019"),
        "thresholds": {"pdq": 20},
        "kind": "block",
        "exercise": False,
        "owner": "gifct",
        "visibility": "shared",
        "shared_with": ("org-a", "org-b"),
        "created_at": T0,
        "created_by": "alice",
    }
    values.update(changes)
    return HashList(**values)  # type: ignore[arg-type]


def item(value: str = PDQ, signal: str = "pdq", **changes: object) -> NewEntry:
    return NewEntry(signal=signal, value=value, labels=("frame",), source="upload", **changes)  # type: ignore[arg-type]


async def test_migrations_reach_the_current_version(store: HashStore) -> None:
    assert await store.schema_version() == SCHEMA_VERSION


async def test_migrations_from_an_empty_file_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    for _ in range(2):  # the second open finds everything applied
        backend = SQLiteHashStore(path)
        await backend.open()
        assert await backend.schema_version() == SCHEMA_VERSION
        await backend.close()
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        versions = conn.execute("SELECT version FROM hashdb_schema_version").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert {"hashdb_lists", "hashdb_entries", "hashdb_changes", "hashdb_feedback"} <= tables
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    assert mode == "wal"


async def test_create_get_and_list(store: HashStore) -> None:
    created = await store.create_list(a_list())
    assert await store.get_list("christchurch") == created
    await store.create_list(a_list("news", kind="allow", exercise=True, owner=None))
    names = [(hl.name, hl.kind, hl.exercise) for hl in await store.lists()]
    assert names == [("christchurch", "block", False), ("news", "allow", True)]
    assert await store.get_list("missing") is None


async def test_duplicate_list_names_are_refused(store: HashStore) -> None:
    await store.create_list(a_list())
    with pytest.raises(ListExists, match="christchurch"):
        await store.create_list(a_list())


async def test_add_entries_logs_changes_and_counts(store: HashStore) -> None:
    await store.create_list(a_list())
    other = "0" * 63 + "1"
    entries = await store.add_entries(
        "christchurch",
        [item(), item(other, incident_id="inc-1", quality=90)],
        added_by="bob",
        at=T0,
    )
    assert [e.value for e in entries] == [PDQ, other]
    first = entries[0]
    assert (first.list_name, first.signal, first.labels, first.source) == (
        "christchurch",
        "pdq",
        ("frame",),
        "upload",
    )
    assert (first.added_by, first.added_at, first.removed_at) == ("bob", T0, None)
    assert entries[1].incident_id == "inc-1" and entries[1].quality == 90
    assert (await store.get_list("christchurch")).entry_count == 2  # type: ignore[union-attr]
    changes = await store.changes(0, 10, None)
    assert [(c.kind, c.entry.id) for c in changes] == [
        ("add", entries[0].id),
        ("add", entries[1].id),
    ]
    assert changes[0].seq < changes[1].seq


async def test_adding_an_active_duplicate_returns_the_existing_entry(store: HashStore) -> None:
    await store.create_list(a_list())
    (first,) = await store.add_entries("christchurch", [item()], added_by="bob", at=T0)
    (again,) = await store.add_entries("christchurch", [item()], added_by="carol", at=T0)
    assert again == first
    assert len(await store.changes(0, 10, None)) == 1


async def test_variants_are_stored_with_a_new_entry_and_carried_by_every_read(
    store: HashStore,
) -> None:
    await store.create_list(a_list())
    crops = (HashVariant("crop-10", "1" * 64), HashVariant("crop-bottom-12", "2" * 64))
    with_crops, plain = await store.add_entries(
        "christchurch", [item(variants=crops), item("3" * 64)], added_by="bob", at=T0
    )
    assert with_crops.variants == crops and plain.variants == ()
    assert (await store.get_entries([with_crops.id]))[with_crops.id].variants == crops
    listed = await store.entries("christchurch", include_removed=False)
    assert [e.variants for e in listed] == [crops, ()]
    assert [c.entry.variants for c in await store.changes(0, 10, None)] == [crops, ()]
    rows = await store.index_changes(0, 10)
    assert [(r.entry_id, r.variants) for r in rows] == [(with_crops.id, crops), (plain.id, ())]
    # re-adding the active hash returns the entry as it is: its variants are not replaced
    other = (HashVariant("crop-5", "4" * 64),)
    (again,) = await store.add_entries(
        "christchurch", [item(variants=other)], added_by="carol", at=T0
    )
    assert again.id == with_crops.id and again.variants == crops
    await store.remove_entry(with_crops.id, reason="benign", removed_by="bob", at=T0)
    removal = (await store.index_changes(rows[-1].seq, 10))[0]
    assert (removal.kind, removal.entry_id, removal.variants) == ("remove", with_crops.id, ())


async def test_add_to_missing_list(store: HashStore) -> None:
    with pytest.raises(ListNotFound, match="nowhere"):
        await store.add_entries("nowhere", [item()], added_by="bob", at=T0)


async def test_soft_removal(store: HashStore) -> None:
    await store.create_list(a_list())
    (entry,) = await store.add_entries("christchurch", [item()], added_by="bob", at=T0)
    later = T0 + timedelta(hours=1)
    removed = await store.remove_entry(
        entry.id, reason="false positive", removed_by="carol", at=later
    )
    assert (removed.removed_at, removed.removed_by, removed.removal_reason) == (
        later,
        "carol",
        "false positive",
    )
    assert await store.entries("christchurch", include_removed=False) == []
    assert await store.entries("christchurch", include_removed=True) == [removed]
    with pytest.raises(EntryNotFound, match="already removed"):
        await store.remove_entry(entry.id, reason="again", removed_by="carol", at=later)
    with pytest.raises(EntryNotFound, match="12345"):
        await store.remove_entry(12345, reason="x", removed_by="carol", at=later)
    changes = await store.changes(0, 10, None)
    assert [c.kind for c in changes] == ["add", "remove"]
    assert changes[1].at == later
    (re_added,) = await store.add_entries("christchurch", [item()], added_by="bob", at=later)
    assert re_added.id != entry.id  # a removed entry stays removed; re-adding is a new entry


async def test_change_log_paging_and_list_filter(store: HashStore) -> None:
    await store.create_list(a_list("a"))
    await store.create_list(a_list("b"))
    for i in range(5):
        for name in ("a", "b"):
            value = format(i * 2 + (name == "b"), "032x")
            await store.add_entries(name, [item(value, "md5")], added_by="x", at=T0)
    everything = await store.changes(0, 100, None)
    seqs = [c.seq for c in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == 10
    page = await store.changes(seqs[3], 4, None)
    assert [c.seq for c in page] == seqs[4:8]
    only_b = await store.changes(0, 100, ["b"])
    assert {c.list_name for c in only_b} == {"b"} and len(only_b) == 5
    assert await store.changes(0, 100, []) == []
    index_rows = await store.index_changes(0, 100)
    assert [r.seq for r in index_rows] == seqs
    assert index_rows[0].signal == "md5" and index_rows[0].list_name == "a"


async def test_feedback_counts(store: HashStore) -> None:
    await store.create_list(a_list())
    (entry,) = await store.add_entries("christchurch", [item()], added_by="bob", at=T0)
    for verdict in ("confirmed", "confirmed", "false_positive"):
        await store.record_feedback(entry.id, verdict=verdict, note="", by="dan", at=T0)
    fetched = (await store.get_entries([entry.id]))[entry.id]
    assert (fetched.confirmed_count, fetched.false_positive_count) == (2, 1)
    with pytest.raises(EntryNotFound):
        await store.record_feedback(999, verdict="confirmed", note="", by="dan", at=T0)


async def test_get_entries_many(store: HashStore) -> None:
    await store.create_list(a_list())
    items = [item(format(i, "032x"), "md5") for i in range(1200)]
    entries = await store.add_entries("christchurch", items, added_by="bob", at=T0)
    fetched = await store.get_entries([e.id for e in entries] + [10**9])
    assert len(fetched) == 1200 and fetched[entries[-1].id] == entries[-1]


async def test_long_values_are_stored_and_found_again(store: HashStore) -> None:
    """A local-feature value is 20 KB of text: more than a PostgreSQL index entry holds
    (migration v5 indexes a key of it). Two values differing only at the end stay two entries."""
    await store.create_list(a_list())
    long = "QUJD" * 5073  # 20,292 characters, as an orb value at its largest
    other = long[:-4] + "QUJF"
    first, second = await store.add_entries(
        "christchurch", [item(long, "orb"), item(other, "orb")], added_by="bob", at=T0
    )
    assert first.id != second.id and (first.value, second.value) == (long, other)
    (again,) = await store.add_entries("christchurch", [item(long, "orb")], added_by="b", at=T0)
    assert again == first
    rows = await store.index_changes(0, 10)
    assert [(r.entry_id, r.value) for r in rows] == [(first.id, long), (second.id, other)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def make_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[], HashStore]]:
    """Opens the same database again and again, on each backend."""
    if request.param == "sqlite":
        yield lambda: SQLiteHashStore(tmp_path / "store.db")
        return
    async with throwaway_schema() as schema:
        yield lambda: PostgresHashStore(PG_DSN, schema=schema)


async def test_migration_to_value_keys_keeps_existing_entries_found(
    make_store: Callable[[], HashStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database written before v5 (entries but no value_key) is migrated in place: re-adding a
    hash it holds returns the existing entry instead of adding a second one."""
    monkeypatch.setattr(sql, "MIGRATIONS", MIGRATIONS[:4])
    async with opened(make_store()) as old:
        assert await old.schema_version() == 4
        await old.create_list(a_list())
        async with old._write() as db:  # type: ignore[attr-defined]
            await db.execute(
                """INSERT INTO hashdb_entries (list_id, signal, value, labels, source, added_by,
                added_at) VALUES (1, 'pdq', ?, '[]', '', 'bob', ?)""",
                PDQ,
                T0.isoformat(),
            )
    monkeypatch.setattr(sql, "MIGRATIONS", MIGRATIONS)
    async with opened(make_store()) as new:
        assert await new.schema_version() == SCHEMA_VERSION
        (again,) = await new.add_entries("christchurch", [item()], added_by="carol", at=T0)
        assert (again.id, again.added_by) == (1, "bob")
