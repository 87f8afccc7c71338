"""One process's in-memory indexes shared between the event loop and a worker thread.

Why: a large batch spends most of its time in the native Hamming search, which releases the GIL.
Running it in a worker thread lets the event loop parse and render other requests meanwhile, so
the CPU the search does not use is not wasted. The indexes are not safe to change while a
thread reads them (a rebuild swaps arrays, a compaction rewrites them in place), so searches and
changes take turns under one asyncio lock; a search that is cancelled keeps the lock until its
thread is done with the index.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

__all__ = ["IndexGuard", "OFFLOAD_MIN_VALUES"]

T = TypeVar("T")

#: searches of at least this many values run in a worker thread; smaller ones cost less than
#: the hand-off and run on the loop
OFFLOAD_MIN_VALUES = 8


class IndexGuard:
    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def changing(self) -> AsyncIterator[None]:
        """Hold while changing an index (no search is reading it meanwhile)."""
        async with self._lock:
            yield

    async def search(self, work: Callable[[], T], *, values: int) -> T:
        """``work()`` (reads the indexes), in a worker thread when ``values`` is large."""
        async with self._lock:
            if values < OFFLOAD_MIN_VALUES:
                return work()
            running = asyncio.ensure_future(asyncio.to_thread(work))
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                await asyncio.wait([running])  # the thread still reads the index: keep the lock
                raise
