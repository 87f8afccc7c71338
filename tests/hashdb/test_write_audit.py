"""Every hash-list write carries its audit record in its own transaction (issue 13).

Why these tests: the audit log was written by an observer after the write had committed, so a
crash in between left entries nobody could account for, and entry points that registered no
observer (drills, sync) left no trail at all. The store now writes the records itself.
"""

from __future__ import annotations

import random
import sqlite3

import asyncpg
import pytest

from hashdb import NewEntry, open_hash_service
from hashdb.access import AuditRecord, open_access_store

from .conftest import PG_DSN, Database, FakeClock

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
OTHER = f"{random.Random(7).getrandbits(256):064x}"  # ~128 bits from PDQ: no match


async def audit_log(database: Database) -> list[AuditRecord]:
    """The whole audit log, oldest first, as ``crisisbot keys audit`` reads it."""
    async with open_access_store(database.db, schema=database.schema) as store:
        return list(reversed(await store.audit(limit=10_000)))


async def refuse_audit_records(database: Database) -> None:
    """From now on the audit table refuses every row (as a full disk or a crash would)."""
    if database.schema is None:
        with sqlite3.connect(database.db) as conn:
            conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON api_audit "
                "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
            )
        return
    conn = await asyncpg.connect(PG_DSN, server_settings={"search_path": database.schema})
    try:
        await conn.execute(
            """CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$"""
        )
        await conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON api_audit"
            " FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    finally:
        await conn.close()


REFUSED = (sqlite3.DatabaseError, asyncpg.PostgresError)


def _item(value: str) -> NewEntry:
    return NewEntry("pdq", value, quality=100)


async def test_the_store_audits_every_write_with_no_observer_registered(
    database: Database, clock: FakeClock
) -> None:
    async with open_hash_service(database.db, clock=clock, schema=database.schema) as svc:
        created = await svc.create_list("tve", created_by="cli:ana")
        first, second, repeat = await svc.add_entries(
            "tve", [_item(PDQ), _item(OTHER), _item(PDQ)], added_by="cli:ana"
        )
        again = await svc.add_entry("tve", "pdq", PDQ, added_by="cli:bo", quality=100)
        removed = await svc.remove_entry(first.id, reason=" duplicate ", removed_by="cli:bo")
    assert repeat.id == first.id and again.id == first.id  # nothing new: nothing audited
    assert [(r.at, r.action, r.actor, r.target, r.detail) for r in await audit_log(database)] == [
        (created.created_at, "list.create", "cli:ana", "list:tve", {"exercise": False}),
        (first.added_at, "entry.add", "cli:ana", f"entry:{first.id}",
         {"list": "tve", "signal": "pdq", "value": PDQ}),
        (second.added_at, "entry.add", "cli:ana", f"entry:{second.id}",
         {"list": "tve", "signal": "pdq", "value": OTHER}),
        (removed.removed_at, "entry.remove", "cli:bo", f"entry:{first.id}",
         {"list": "tve", "reason": "duplicate"}),
    ]  # fmt: skip


async def test_a_write_whose_audit_record_cannot_be_written_does_not_happen(
    database: Database, clock: FakeClock
) -> None:
    # the access store first this time: either store may create the shared audit table
    async with open_access_store(database.db, schema=database.schema):
        pass
    async with open_hash_service(database.db, clock=clock, schema=database.schema) as svc:
        await svc.create_list("tve", created_by="cli:ana")
        kept = await svc.add_entry("tve", "pdq", PDQ, added_by="cli:ana", quality=100)
        await refuse_audit_records(database)

        with pytest.raises(REFUSED, match="audit refused"):
            await svc.add_entry("tve", "pdq", OTHER, added_by="cli:ana", quality=100)
        with pytest.raises(REFUSED, match="audit refused"):
            await svc.remove_entry(kept.id, reason="dup", removed_by="cli:bo")
        with pytest.raises(REFUSED, match="audit refused"):
            await svc.create_list("other", created_by="cli:ana")

        assert [e.value for e in await svc.entries("tve", include_removed=True)] == [PDQ]
        assert (await svc.get_entry(kept.id)).active
        assert (await svc.get_list("tve")).entry_count == 1
        assert [c.entry.id for c in await svc.changes()] == [kept.id]
        assert [hl.name for hl in await svc.lists()] == ["tve"]
        assert (await svc.match("pdq", OTHER)).matches == []
    assert [r.action for r in await audit_log(database)] == ["list.create", "entry.add"]


async def test_entry_counts_follow_adds_and_removals(database: Database, clock: FakeClock) -> None:
    async with open_hash_service(database.db, clock=clock, schema=database.schema) as svc:
        await svc.create_list("tve", created_by="a")
        await svc.create_list("news", kind="allow", created_by="a")
        first, _ = await svc.add_entries("tve", [_item(PDQ), _item(OTHER)], added_by="a")
        await svc.add_entries("tve", [_item(PDQ)], added_by="a")  # already there
        await svc.add_entry("news", "pdq", PDQ, added_by="a", quality=100)
        await svc.remove_entry(first.id, reason="x", removed_by="a")
        assert {hl.name: hl.entry_count for hl in await svc.lists()} == {"news": 1, "tve": 1}
        await svc.add_entries("tve", [_item(PDQ)], added_by="a")  # back, as a new entry
        assert (await svc.get_list("tve")).entry_count == 2
