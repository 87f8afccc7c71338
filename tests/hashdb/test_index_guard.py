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
