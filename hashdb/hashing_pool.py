"""``HashingPool``: where a ``HashService`` decodes and hashes files, at most N at a time.

Why a pool of its own: decoding an image holds up to ``HashLimits.max_decode_bytes`` of pixels
(``hashdb.decoding``), so the number of decodes running at once is what bounds a process's
hashing memory; and hashing must never run on the event loop (lookups would stall behind it) nor
in asyncio's default executor, which lookups use for their index searches (``IndexGuard``): a
burst of uploads would queue the lookups behind seconds of decoding. Jobs beyond ``size`` wait
their turn on a semaphore, holding nothing but their bytes; a job cancelled while it waits (the
client went away) never runs. Why a semaphore in front of the threads rather than the executor's
own queue: cancelling a job queued in an executor races with a thread picking it up.

Every path that hashes bytes goes through the service's pool: the API's uploads
(``match_bytes``), the bot's attachments and the drills (``hash_bytes``). One service per process
(``crisisbot run`` shares one between the bot and the API) makes it one bound per process.

Imports nothing of hashdb; asyncio and concurrent.futures only.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["HashingPool"]

P = ParamSpec("P")
T = TypeVar("T")


class HashingPool:
    """Runs hashing jobs on ``size`` threads of their own, the rest queued in order."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a hashing pool needs at least one thread, got {size}")
        self.size = size
        self._slots = asyncio.Semaphore(size)
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, job: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``job(*args, **kwargs)`` on one of the pool's threads, once one is free."""
        async with self._slots:
            if self._executor is None:  # threads start with the first job, not with the service
                self._executor = ThreadPoolExecutor(self.size, thread_name_prefix="hashing")
            loop = asyncio.get_running_loop()
            running = loop.run_in_executor(self._executor, functools.partial(job, *args, **kwargs))
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                await asyncio.wait(
                    [running]
                )  # the thread is busy until the job ends: so is its slot
                raise

    def close(self) -> None:
        """Let running jobs finish, drop queued ones, stop the threads (a later ``run`` starts
        new ones)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
