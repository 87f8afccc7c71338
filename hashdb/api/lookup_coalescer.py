"""Coalescing concurrent single-hash lookups into one ``match_many`` call (group commit style).

Why: a batch costs the core much less per hash than single calls (one change-log refresh and one
entry fetch for the whole batch, one pass of bookkeeping), and a busy API receives many single
lookups at once. While one batch is being matched, the lookups that arrive wait; when it is done
they all go out together as the next batch. An idle server therefore answers a lone lookup at once,
and a busy one batches more the busier it is. Lookups are grouped by the set of lists they may
search (keys see different lists), so batching never widens what a key can match.

Every query is validated before it is queued, so one malformed hash cannot fail a batch; an error
from the service fails only the lookups of that batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection
from typing import Any

from hashdb import HashService, MatchResult

__all__ = ["LookupCoalescer"]

_Group = tuple[tuple[str, ...], bool]


class LookupCoalescer:
    def __init__(self, hash_service: HashService, *, max_batch: int) -> None:
        self._svc = hash_service
        self._max_batch = max_batch
        self._pending: dict[_Group, list[tuple[tuple[str, str], asyncio.Future[Any]]]] = {}
        self._running: asyncio.Task[None] | None = None

    async def match(
        self, signal: str, value: str, *, lists: Collection[str], include_exercise: bool
    ) -> MatchResult:
        future: asyncio.Future[MatchResult] = asyncio.get_running_loop().create_future()
        group = (tuple(sorted(lists)), include_exercise)
        self._pending.setdefault(group, []).append(((signal, value), future))
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            group, items = next(iter(self._pending.items()))
            batch, rest = items[: self._max_batch], items[self._max_batch :]
            if rest:
                self._pending[group] = rest
            else:
                del self._pending[group]
            await self._run(group, batch)

    async def _run(
        self, group: _Group, batch: list[tuple[tuple[str, str], asyncio.Future[Any]]]
    ) -> None:
        lists, include_exercise = group
        try:
            results = await self._svc.match_many(
                [query for query, _ in batch], lists=list(lists), include_exercise=include_exercise
            )
        except Exception as exc:  # noqa: BLE001 - handed to the waiting requests
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # the client may have gone away
                future.set_result(result)

    async def close(self) -> None:
        if self._running is not None and not self._running.done():
            self._running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._running
