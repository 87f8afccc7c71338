"""Virtual time for drills: T0 plus elapsed drill time, compressed by a speed factor, pausable.

Why its own clock: a drill of two hours must run in a test in milliseconds and in a rehearsal in
twenty minutes (``speed=6``), and the incident engine must see the *drill's* time in every event
so that the after-action report reads as if the exercise had run in real time. ``DrillClock.now``
is the clock handed to the incident and hash services.

Drill time moves only while the drill waits for its next moment (``wait_until``): the drill's own
reactions (delivering an inject, applying an action) take no drill time, so at ``speed=1000000``
an inject due at T+05:00 is still stamped T+05:00.

* ``speed=None``: pure virtual time; waiting jumps straight to the target (tests, scripted runs).
* ``speed=N``: while waiting, drill time advances N times faster than the wall clock
  (``monotonic``, injectable).

A wait can be interrupted (a typed action arrived, pause, stop) and says whether it reached its
target. Imports nothing from the rest of crisisbot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

__all__ = ["DrillClock"]


class DrillClock:
    def __init__(
        self,
        t0: datetime,
        *,
        speed: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] | None = None,
    ) -> None:
        if t0.tzinfo is None:
            raise ValueError("T0 must be an aware datetime")
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive")
        self.t0 = t0
        self.speed = speed
        self._monotonic = monotonic
        self._base = timedelta(0)  # drill time when the current wait began (or now, if none)
        self._wall_at_base: float | None = None  # set while a scaled wait is in progress
        self._paused = False
        self._stopped = False
        self._changed = asyncio.Event()
        #: with ``wall`` (the engine's clock when it is not this one, as under Discord): when each
        #: stretch of drill time began, so wall times of events can be mapped back to drill time
        self._wall = wall
        self._anchors: list[tuple[datetime, timedelta, bool]] = []  # (wall, drill, running)

    # -- reading -------------------------------------------------------------------------------
    def elapsed(self) -> timedelta:
        if self._wall_at_base is None or self.speed is None:
            return self._base
        return self._base + timedelta(seconds=(self._monotonic() - self._wall_at_base) * self.speed)

    def now(self) -> datetime:
        return self.t0 + self.elapsed()

    def offset_at(self, moment: datetime) -> timedelta:
        """Drill time at ``moment``: ``moment - t0`` on drill time, else mapped from wall time."""
        if self._wall is None:
            return moment - self.t0
        offset = timedelta(0)
        for index, (wall_at, drill_at, running) in enumerate(self._anchors):
            if wall_at > moment:
                break
            offset = drill_at
            if running and self.speed is not None:
                offset = drill_at + (moment - wall_at) * self.speed
                if index + 1 < len(self._anchors):
                    offset = min(offset, self._anchors[index + 1][1])
        return offset

    def _anchor(self, running: bool) -> None:
        if self._wall is not None:
            self._anchors.append((self._wall(), self._base, running))

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopped(self) -> bool:
        return self._stopped

    # -- control -------------------------------------------------------------------------------
    def _settle(self, limit: timedelta | None = None) -> None:
        """End the running stretch of a wait: keep the drill time reached (at most ``limit``)."""
        reached = self.elapsed()
        running = self._wall_at_base is not None
        self._base = reached if limit is None else min(reached, limit)
        self._wall_at_base = None
        if running:
            self._anchor(running=False)

    def pause(self) -> None:
        if not self._paused:
            self._settle()
            self._paused = True
            self._changed.set()

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._changed.set()

    def stop(self) -> None:
        """End the drill: drill time stops where it is, and every wait returns."""
        self._settle()
        self._stopped = True
        self._changed.set()

    def restore(self, anchors: Sequence[tuple[datetime, timedelta, bool]]) -> None:
        """Continue a run another clock began (``protocols.drills.resume``): take over its
        anchors (wall time, drill time, running after it), so events of the earlier part map to
        drill time, and set drill time to what it is now on the wall clock (it ran on while
        nobody watched, unless the run was paused: then it stays paused)."""
        if self._wall is None or not anchors:
            raise ValueError("restoring a clock needs its wall clock and at least one anchor")
        self._anchors = list(anchors)
        self._wall_at_base = None
        self._base = self.offset_at(self._wall())
        self._paused = not anchors[-1][2]

    def interrupt(self) -> None:
        """Wake a ``wait_until`` early (for example because a participant acted)."""
        self._changed.set()

    # -- waiting ---------------------------------------------------------------------------------
    async def wait_until(self, offset: timedelta) -> bool:
        """Wait until drill time ``offset``; False if interrupted, paused or stopped first."""
        self._changed.clear()
        if self._stopped:
            return False
        if self._paused:
            await self._changed.wait()
            return False
        if offset <= self._base:
            await asyncio.sleep(0)
            return True
        if self.speed is None:
            self._base = offset
            await asyncio.sleep(0)
            return not (self._stopped or self._paused)
        self._wall_at_base = self._monotonic()
        self._anchor(running=True)
        remaining = (offset - self._base).total_seconds() / self.speed
        try:
            await asyncio.wait_for(self._changed.wait(), timeout=remaining)
        except TimeoutError:
            self._wall_at_base = None
            self._base = offset  # land exactly on the target, however late the wake-up
            self._anchor(running=False)
            return not (self._stopped or self._paused)
        if self._wall_at_base is not None:  # interrupted (pause and stop settle themselves)
            self._settle(limit=offset)
        return False
