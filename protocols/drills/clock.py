"""Virtual time for drills: T0 plus elapsed drill time, compressed by a speed factor, pausable.

Why its own clock: a drill of two hours must run in a test in milliseconds and in a rehearsal in
twenty minutes (``speed=6``), and the incident engine must see the *drill's* time in every event
so that the after-action report reads as if the exercise had run in real time. ``DrillClock.now``
is the clock handed to the incident and hash services.

* ``speed=None``: pure virtual time; waiting jumps straight to the target (tests, scripted runs).
* ``speed=N``: drill time advances N times faster than the wall clock (``monotonic``, injectable).

``wait_until`` can be interrupted (a typed action arrived, pause, stop) and says whether the
target was reached. Imports nothing from the rest of crisisbot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

__all__ = ["DrillClock"]


class DrillClock:
    def __init__(
        self,
        t0: datetime,
        *,
        speed: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if t0.tzinfo is None:
            raise ValueError("T0 must be an aware datetime")
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive")
        self.t0 = t0
        self.speed = speed
        self._monotonic = monotonic
        self._base = timedelta(0)  # elapsed drill time at the last resume (or jump)
        self._wall_at_base: float | None = None  # None until ``begin``: T0 is when the drill starts
        self._paused = False
        self._frozen = False
        self._stopped = False
        self._changed = asyncio.Event()

    # -- reading -------------------------------------------------------------------------------
    def elapsed(self) -> timedelta:
        if self.speed is None or self._paused or self._frozen or self._stopped:
            return self._base
        if self._wall_at_base is None:
            return self._base
        return self._base + timedelta(seconds=(self._monotonic() - self._wall_at_base) * self.speed)

    def now(self) -> datetime:
        return self.t0 + self.elapsed()

    def at(self, offset: timedelta) -> datetime:
        return self.t0 + offset

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopped(self) -> bool:
        return self._stopped

    # -- control -------------------------------------------------------------------------------
    def begin(self) -> None:
        """Start the drill clock at T0 (before this, drill time stands still at T+00:00)."""
        if self._wall_at_base is None:
            self._wall_at_base = self._monotonic()

    def pause(self) -> None:
        if not self._paused:
            self._base = self.elapsed()
            self._paused = True
            self._changed.set()

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            if self._wall_at_base is not None:
                self._wall_at_base = self._monotonic()
            self._changed.set()

    def stop(self) -> None:
        """End the drill: drill time stops where it is, and every wait returns."""
        if not self._stopped:
            self._base = self.elapsed()
        self._stopped = True
        self._changed.set()

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Hold drill time still while the drill reacts (the reaction takes no drill time).

        Without this, at ``speed=1000`` every millisecond of processing would move the drill
        one second on, and events would carry later times than their injects.
        """
        self._base = self.elapsed()
        self._frozen = True
        try:
            yield
        finally:
            self._frozen = False
            if self._wall_at_base is not None:
                self._wall_at_base = self._monotonic()

    def interrupt(self) -> None:
        """Wake a ``wait_until`` early (for example because a participant acted)."""
        self._changed.set()

    # -- waiting ---------------------------------------------------------------------------------
    async def wait_until(self, offset: timedelta) -> bool:
        """Wait until drill time ``offset``; False if interrupted, paused or stopped first."""
        self._changed.clear()
        if self._stopped or self._paused:
            if self._paused and not self._stopped:
                await self._changed.wait()
            return False
        if self.speed is None:
            if offset > self._base:
                self._base = offset
            await asyncio.sleep(0)
            return not (self._stopped or self._paused)
        remaining = (offset - self.elapsed()).total_seconds() / self.speed
        if remaining > 0:
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=remaining)
                return False
            except TimeoutError:
                pass
        if self._stopped or self._paused or self.elapsed() < offset:
            return False
        if remaining > 0:  # land exactly on the target: a late wake-up must not overshoot it
            self._base, self._wall_at_base = offset, self._monotonic()
        return True
