"""The list cache: one load at a time, stale data served while one background refresh runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from hashdb.access import ApiKey, Scope
from hashdb.api.lists import LOAD_COST_FACTOR, MIN_CACHE_SECONDS, ListDirectory

from .conftest import FakeClock


@dataclass
class L:
    name: str
    visibility: str = "public"
    owner: str | None = None
    shared_with: tuple[str, ...] = ()
    exercise: bool = False


class SlowLists:
    def __init__(self) -> None:
        self.calls = 0
        self.names = ["a"]
        self.release = asyncio.Event()

    async def lists(self, *, include_exercise: bool) -> list[L]:
        self.calls += 1
        await self.release.wait()
        return [L(n) for n in self.names]


async def test_concurrent_first_loads_query_once(clock: FakeClock) -> None:
    svc = SlowLists()
    directory = ListDirectory(svc, clock=clock, cache_seconds=10)
    waiting = [asyncio.create_task(directory.all()) for _ in range(5)]
    await asyncio.sleep(0)
    svc.release.set()
    assert [list(r) for r in await asyncio.gather(*waiting)] == [["a"]] * 5
    assert svc.calls == 1


async def test_stale_data_is_served_while_one_refresh_runs(clock: FakeClock) -> None:
    svc = SlowLists()
    svc.release.set()
    directory = ListDirectory(svc, clock=clock, cache_seconds=10)
    await directory.all()
    svc.names, svc.release = ["a", "b"], asyncio.Event()
    clock.advance(11)
    assert [list(await directory.all()) for _ in range(3)] == [["a"]] * 3
    await asyncio.sleep(0)
    assert [list(await directory.all()) for _ in range(3)] == [["a"]] * 3
    assert svc.calls == 2  # one background refresh, not three
    svc.release.set()
    await asyncio.sleep(0.01)
    assert list(await directory.all()) == ["a", "b"]
    await directory.close()


async def test_invalidate_makes_the_next_read_fresh_and_hidden_lists_are_404(
    clock: FakeClock,
) -> None:
    svc = SlowLists()
    svc.release.set()
    directory = ListDirectory(svc, clock=clock, cache_seconds=10)
    await directory.all()
    svc.names = ["a", "b"]
    directory.invalidate()
    key = ApiKey("abcdefabcdef", "p", Scope.QUERY, clock(), "t")
    assert (await directory.get(key, "b", include_exercise=False)).name == "b"


async def test_put_shows_a_new_list_without_reloading(clock: FakeClock) -> None:
    svc = SlowLists()
    svc.release.set()
    directory = ListDirectory(svc, clock=clock, cache_seconds=60)
    await directory.all()
    directory.put(L("new"))
    assert sorted(await directory.all()) == ["a", "new"] and svc.calls == 1


async def test_cache_time_follows_the_cost_of_a_load(clock: FakeClock) -> None:
    """Cheap metadata is re-read after about a second, expensive metadata far less often."""
    svc = SlowLists()
    svc.release.set()
    directory = ListDirectory(svc, clock=clock, cache_seconds=60)
    await directory.all()
    svc.names = ["a", "cli-made"]
    clock.advance(MIN_CACHE_SECONDS + 0.5)
    await directory.all()  # stale after the minimum: one background refresh starts
    await asyncio.sleep(0.01)
    assert sorted(await directory.all()) == ["a", "cli-made"]

    directory._load_seconds = 1.5  # as if a load of a huge database took 1.5 s
    svc.names = ["a", "cli-made", "later"]
    clock.advance(MIN_CACHE_SECONDS + 0.5)
    await directory.all()
    await asyncio.sleep(0.01)
    assert "later" not in await directory.all()  # fresh for 45 s (30 x 1.5 s)
    clock.advance(LOAD_COST_FACTOR * 1.5)
    await directory.all()
    await asyncio.sleep(0.01)
    assert "later" in await directory.all()
    await directory.close()
