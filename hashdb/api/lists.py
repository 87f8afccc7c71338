"""Which lists a key may see, from a cache of list metadata refreshed off the request path.

Every request needs the visible list names (matching, the delta feed, exports), and reading list
metadata from the hash service is a round trip to the store (one row per list; ``entry_count``
is a column the writes keep). So the metadata is
kept for ``ApiConfig.list_cache_seconds`` at most (time from the injected clock); once stale,
requests go on using it while *one* background refresh runs (no thundering herd of identical
queries). The cache time adapts to what a load costs: ``LOAD_COST_FACTOR`` times the last load's
duration, at least ``MIN_CACHE_SECONDS``, so a list created by the CLI shows within about a
second while loads stay cheap, and a slow store is not re-read more often than it can bear. A list
created through this API is added with :meth:`ListDirectory.put`; entries added or removed change
no list metadata except ``entry_count``, which is as fresh as the last refresh.
``cache_seconds=0`` reads fresh data every time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hashdb.access import ApiKey, can_read
from hashdb.errors import ListNotFound

__all__ = ["LOAD_COST_FACTOR", "MIN_CACHE_SECONDS", "ListDirectory"]

#: metadata is kept this many times as long as it took to load (bounded by ``cache_seconds``)
LOAD_COST_FACTOR = 30.0
MIN_CACHE_SECONDS = 1.0


class ListDirectory:
    def __init__(
        self, hash_service: Any, *, clock: Callable[[], datetime], cache_seconds: float
    ) -> None:
        self._svc = hash_service
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._lists: dict[str, Any] = {}
        self._loaded_at: datetime | None = None
        self._generation = 0  # bumped by every load, so waiters can skip a duplicate load
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None
        self._load_seconds = 0.0  # wall time the last load took

    def invalidate(self) -> None:
        """The next read waits for fresh metadata."""
        self._loaded_at = None

    def put(self, hash_list: Any) -> None:
        """Make a list created through this API visible at once, without re-reading them all."""
        self._lists = {**self._lists, hash_list.name: hash_list}

    async def _load(self, seen_generation: int) -> None:
        async with self._lock:
            if self._generation != seen_generation:
                return  # another request loaded fresh data while this one waited
            loaded_at = self._clock()
            started = time.perf_counter()
            lists = await self._svc.lists(include_exercise=True)
            self._load_seconds = time.perf_counter() - started
            self._lists = {hash_list.name: hash_list for hash_list in lists}
            self._loaded_at = loaded_at
            self._generation += 1

    def _fresh_for(self) -> float:
        adaptive = max(MIN_CACHE_SECONDS, LOAD_COST_FACTOR * self._load_seconds)
        return min(self._cache_seconds, adaptive)

    def _age(self) -> float | None:
        if self._loaded_at is None:
            return None
        return (self._clock() - self._loaded_at).total_seconds()

    async def all(self) -> dict[str, Any]:
        age = self._age()
        if age is None or self._cache_seconds <= 0:
            await self._load(self._generation)
        elif age >= self._fresh_for() and (self._background is None or self._background.done()):
            self._background = asyncio.create_task(self._load(self._generation))
        return self._lists

    async def close(self) -> None:
        if self._background is not None and not self._background.done():
            self._background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._background

    async def visible(self, key: ApiKey, *, include_exercise: bool) -> dict[str, Any]:
        return {
            name: hash_list
            for name, hash_list in (await self.all()).items()
            if can_read(key, hash_list, include_exercise=include_exercise)
        }

    async def get(self, key: ApiKey, name: str, *, include_exercise: bool) -> Any:
        """The list if this key may see it; ListNotFound otherwise (existence is not leaked)."""
        hash_list = (await self.all()).get(name)
        if hash_list is None or not can_read(key, hash_list, include_exercise=include_exercise):
            raise ListNotFound(f"no hash list named {name!r}")
        return hash_list
