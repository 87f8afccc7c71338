"""Coalesced refreshes: many "this changed" signals, at most one Discord edit per interval.

Why: a burst of button clicks on one incident would otherwise edit the pinned summary once per
click and run into Discord's per-channel rate limit. Callers say :meth:`CoalescedRefresher.request`
as often as they like; for each key the refresher runs the refresh at most once per ``interval``
seconds, always after the latest request, and always renders the latest state (the refresh
function reads the state when it runs, not when it was requested).

Uses the event loop's monotonic clock: this paces calls to Discord and is not domain time.
Imports nothing from discord.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["CoalescedRefresher"]

K = TypeVar("K", bound=Hashable)
log = logging.getLogger(__name__)


class CoalescedRefresher(Generic[K]):
    def __init__(self, refresh: Callable[[K], Awaitable[None]], *, interval: float) -> None:
        self._refresh = refresh
        self._interval = interval
        self._dirty: set[K] = set()
        self._tasks: dict[K, asyncio.Task[None]] = {}
        self._last_run: dict[K, float] = {}
        self.runs = 0  # how many refreshes actually ran (observability and tests)

    def request(self, key: K) -> None:
        """Ask for ``key`` to be refreshed soon; never blocks, never raises."""
        self._dirty.add(key)
        if key not in self._tasks:
            task = asyncio.get_running_loop().create_task(self._drain(key))
            self._tasks[key] = task

    async def _drain(self, key: K) -> None:
        loop = asyncio.get_running_loop()
        try:
            while key in self._dirty:
                wait = self._last_run.get(key, -float("inf")) + self._interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._dirty.discard(key)
                self._last_run[key] = loop.time()
                self.runs += 1
                try:
                    await self._refresh(key)
                except Exception:  # noqa: BLE001 - one failed edit must not stop later ones
                    log.exception("refresh of %r failed", key)
        finally:
            self._tasks.pop(key, None)

    async def flush(self) -> None:
        """Wait until every pending refresh has run (used at shutdown and by tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        """Cancel pending refreshes (the next start re-renders everything anyway)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._dirty.clear()
