"""Adds cost what their rows cost, and lookups never queue behind a write (issue 13, SQLite).

Why: one add counted every row of its list (0.2 s at 100,000 entries) while it held the store's
only connection, so at 5 % adds lookups fell from 1,524 to 115 a second. The first test counts
SQLite virtual-machine steps (``set_progress_handler``), not time: the same add into a list 400
times larger must take about as many steps. The second holds a write transaction open (as an
import's chunk does) and looks up meanwhile. Both reach into the store's connections; the SQL is
the same on PostgreSQL, whose reads never shared a connection with its writes.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from hashdb import HashService, NewEntry, open_hash_service
from hashdb.store import SQLiteHashStore

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
STEP = 100  # VM instructions per progress callback


def random_items(rng: random.Random, count: int) -> list[NewEntry]:
    return [NewEntry("pdq", f"{rng.getrandbits(256):064x}") for _ in range(count)]


async def steps_of_one_add(svc: HashService, list_name: str, rng: random.Random) -> int:
    """SQLite VM steps (in units of ``STEP``) on every connection of the store for one add."""
    store = svc.store
    assert isinstance(store, SQLiteHashStore)
    connections = [c for c in (store._conn, getattr(store, "_reader", None)) if c is not None]
    ticks = 0

    def tick() -> int:
        nonlocal ticks
        ticks += 1
        return 0  # go on

    for conn in connections:
        await conn.set_progress_handler(tick, STEP)
    try:
        await svc.add_entries(list_name, random_items(rng, 1), added_by="coordinator")
    finally:
        for conn in connections:
            await conn.set_progress_handler(None, STEP)
    return ticks


async def test_an_add_costs_the_same_into_a_small_and_a_large_list(tmp_path: Path) -> None:
    rng = random.Random(13)
    async with open_hash_service(str(tmp_path / "steps.db")) as svc:
        for name, size in (("small", 50), ("large", 20_000)):
            await svc.create_list(name, created_by="a")
            await svc.add_entries(name, random_items(rng, size), added_by="import")
        small = [await steps_of_one_add(svc, "small", rng) for _ in range(3)]
        large = [await steps_of_one_add(svc, "large", rng) for _ in range(3)]
    # a B-tree one level deeper costs a few steps more; a count of the list costs ~400x
    assert max(large) <= 2 * max(small) + 20, (small, large)


async def test_lookups_do_not_wait_behind_a_write_in_progress(tmp_path: Path) -> None:
    async with open_hash_service(str(tmp_path / "busy.db")) as svc:
        await svc.create_list("tve", created_by="a")
        entry = await svc.add_entry("tve", "pdq", PDQ, added_by="a", quality=100)
        store = svc.store
        assert isinstance(store, SQLiteHashStore)
        async with store._write():  # e.g. an import's chunk, holding the write connection
            # the index follows the change log and the matched entry is read: both from the store
            result = await asyncio.wait_for(svc.match("pdq", PDQ), 5)
            assert [m.entry.id for m in result.matches] == [entry.id]
            assert (await asyncio.wait_for(svc.get_entry(entry.id), 5)).value == PDQ
            assert (await asyncio.wait_for(svc.get_list("tve"), 5)).entry_count == 1
