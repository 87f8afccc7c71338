"""One process's in-memory indexes shared between the event loop and worker threads.

Why: a large batch spends most of its time in the native Hamming search, which releases the GIL.
Running it in a worker thread lets the event loop parse and render other requests meanwhile, and
several searches can run at once on several cores. The indexes are not safe to change while a
thread reads them (a rebuild swaps arrays, a compaction rewrites them in place), so this is a
readers-writer lock: any number of searches together, or one change alone. A waiting change
holds off new searches, so a steady stream of lookups cannot starve index refreshes. A search
that is cancelled keeps its place until its thread is done with the index.
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
        self._state = asyncio.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @asynccontextmanager
    async def changing(self) -> AsyncIterator[None]:
        """Hold while changing an index: no search reads it meanwhile."""
        async with self._state:
            self._writers_waiting += 1
            try:
                await self._state.wait_for(lambda: not self._writing and self._readers == 0)
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            async with self._state:
                self._writing = False
                self._state.notify_all()

    async def search(self, work: Callable[[], T], *, values: int, offload: bool = False) -> T:
        """``work()`` (reads the indexes), in a worker thread when ``values`` is large or
        ``offload`` says the work is costly whatever its size."""
        async with self._state:
            await self._state.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._readers += 1
        try:
            if values < OFFLOAD_MIN_VALUES and not offload:
                return work()
            running = asyncio.ensure_future(asyncio.to_thread(work))
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                await asyncio.wait([running])  # the thread still reads the index: keep our place
                raise
        finally:
            async with self._state:
                self._readers -= 1
                self._state.notify_all()
