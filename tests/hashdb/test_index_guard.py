"""IndexGuard: searches and index changes take turns, even when a search is cancelled."""

from __future__ import annotations

import asyncio
import threading

from hashdb.index_guard import OFFLOAD_MIN_VALUES, IndexGuard


async def test_small_search_runs_on_the_loop_and_large_one_in_a_thread() -> None:
    guard = IndexGuard()
    loop_thread = threading.get_ident()
    assert await guard.search(threading.get_ident, values=1) == loop_thread
    assert await guard.search(threading.get_ident, values=OFFLOAD_MIN_VALUES) != loop_thread


async def test_change_waits_for_a_running_search_even_after_cancellation() -> None:
    guard = IndexGuard()
    release = threading.Event()
    events: list[str] = []

    def slow_search() -> str:
        release.wait(5)
        events.append("search done")
        return "result"

    search = asyncio.create_task(guard.search(slow_search, values=100))
    await asyncio.sleep(0.05)  # the thread is now inside slow_search
    search.cancel()

    async def change() -> None:
        async with guard.changing():
            events.append("changed")

    changer = asyncio.create_task(change())
    await asyncio.sleep(0.05)
    assert events == []  # the cancelled search's thread still holds the index
    release.set()
    await changer
    assert events == ["search done", "changed"]
    assert search.cancelled()


async def test_searches_run_together_and_a_waiting_change_holds_off_new_ones() -> None:
    guard = IndexGuard()
    both_running = threading.Barrier(2, timeout=5)
    events: list[str] = []

    def search() -> str:
        both_running.wait()  # would time out if the second search waited for the first
        return "ok"

    assert await asyncio.gather(
        guard.search(search, values=100), guard.search(search, values=100)
    ) == ["ok", "ok"]

    release = threading.Event()

    def held_search() -> str:
        release.wait(5)
        events.append("first search")
        return "ok"

    async def change() -> None:
        async with guard.changing():
            events.append("change")

    first = asyncio.create_task(guard.search(held_search, values=100))
    await asyncio.sleep(0.05)
    changer = asyncio.create_task(change())
    await asyncio.sleep(0.05)
    later = asyncio.create_task(guard.search(lambda: events.append("later search"), values=1))
    await asyncio.sleep(0.05)
    assert events == []  # the change waits for the first search; the later one for the change
    release.set()
    await asyncio.gather(first, changer, later)
    assert events == ["first search", "change", "later search"]
