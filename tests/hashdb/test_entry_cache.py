"""Matched entries are cached between commits, and never served stale."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

from hashdb import HashService, open_hash_service
from hashdb.entry_cache import EntryCache
from hashdb.perceptual import pdq_hash
from hashdb.records import Entry

from .imaging import synthetic_photo

PDQ = pdq_hash(synthetic_photo(5)).value


async def test_feedback_and_removal_show_in_the_next_match(service: HashService) -> None:
    await service.create_list("l", created_by="a")
    entry = await service.add_entry("l", "pdq", PDQ, added_by="a", quality=100)
    (first,) = (await service.match("pdq", PDQ)).matches
    assert first.entry.confirmed_count == 0
    await service.record_feedback(entry.id, verdict="confirmed", by="b")
    (second,) = (await service.match("pdq", PDQ)).matches
    assert second.entry.confirmed_count == 1
    await service.remove_entry(entry.id, reason="mistake", removed_by="a")
    assert (await service.match("pdq", PDQ)).matches == []


async def test_a_verdict_from_another_process_shows_in_the_next_match(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    async with open_hash_service(path) as reader, open_hash_service(path) as writer:
        await writer.create_list("l", created_by="a")
        entry = await writer.add_entry("l", "pdq", PDQ, added_by="a", quality=100)
        for _ in range(2):  # the second match is answered from the cache
            (match,) = (await reader.match("pdq", PDQ)).matches
            assert match.entry.false_positive_count == 0
        await writer.record_feedback(entry.id, verdict="false_positive", by="b")
        (match,) = (await reader.match("pdq", PDQ)).matches
        assert match.entry.false_positive_count == 1


def _entry(entry_id: int) -> Entry:
    return Entry(
        id=entry_id, list_name="l", signal="pdq", value=PDQ, labels=(), source="test",
        incident_id=None, added_by="a", added_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip


async def test_cache_reads_only_what_it_lacks_and_evicts_the_oldest() -> None:
    cache = EntryCache(capacity=2)
    asked: list[list[int]] = []

    async def fetch(ids: Collection[int]) -> dict[int, Entry]:
        asked.append(sorted(ids))
        return {i: _entry(i) for i in ids}

    assert set(await cache.get_many([1, 2], fetch)) == {1, 2}
    assert set(await cache.get_many([1, 3], fetch)) == {1, 3}
    assert asked == [[1, 2], [3]] and len(cache) == 2  # 2 was the least recently used
    await cache.get_many([2], fetch)
    assert asked[-1] == [2]


async def test_a_read_in_flight_when_the_cache_is_cleared_is_not_kept() -> None:
    cache = EntryCache()
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_fetch(ids: Collection[int]) -> dict[int, Entry]:
        started.set()
        await release.wait()
        return {i: _entry(i) for i in ids}

    reading = asyncio.create_task(cache.get_many([7], slow_fetch))
    await started.wait()
    cache.clear()  # something was committed while the rows were on their way
    release.set()
    assert set(await reading) == {7}
    assert len(cache) == 0
