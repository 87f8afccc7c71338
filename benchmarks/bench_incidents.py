"""Incident engine: cost of one command, replay and verify as an incident's log grows.

Measured in the same run against a baseline: one ``execute`` (a note) on a fresh incident in the
SQLite store. Then, for incidents already holding N recorded chat messages, the time of one more
``execute`` (which loads the log, replays it, decides and appends), of ``get`` (load + replay)
and of ``verify`` (hash chain), each as a ratio to the baseline and in milliseconds.

Why it matters: a busy incident channel records thousands of messages over a day, and the bot
calls ``execute`` for every one of them.
Run: ``python -m benchmarks.run incidents [--quick]``.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from protocols import (
    INCIDENT_ADMIN,
    TIMELINE_RECORDER,
    Actor,
    AddNote,
    DeclareIncident,
    IncidentService,
    ProtocolLibrary,
    RecordMessage,
    open_incident_service,
)

ADMIN = Actor("admin", "Admin", frozenset({INCIDENT_ADMIN}))
BOT = Actor("bot", "crisisbot", frozenset({TIMELINE_RECORDER}))
START = datetime(2026, 3, 15, 1, 40, tzinfo=UTC)


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


async def _timed(work: Callable[[], Awaitable[Any]], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def _fill(svc: IncidentService, incident_id: str, count: int, clock: _Clock) -> None:
    for i in range(count):
        await svc.execute(
            incident_id,
            RecordMessage(f"m{i}", "c", "u1", "User", f"message {i}", clock.now, actor=BOT),
        )


async def _run(quick: bool) -> None:
    sizes = [10, 200, 1000] if quick else [10, 1000, 5000]
    repeat = 5 if quick else 15
    with tempfile.TemporaryDirectory() as tmp:
        clock = _Clock()
        db = str(Path(tmp) / "bench.db")
        async with open_incident_service(db, library=ProtocolLibrary(), clock=clock) as svc:
            await svc.declare(DeclareIncident("gifct-cip", "base", "cip", ADMIN, incident_id="b"))
            baseline = await _timed(lambda: svc.execute("b", AddNote("x", actor=ADMIN)), repeat)
            print(f"baseline: one execute on a fresh incident = {baseline * 1000:.2f} ms")
            print(f"{'events':>8} {'execute':>16} {'get':>16} {'verify':>16}")
            for size in sizes:
                iid = f"i{size}"
                await svc.declare(DeclareIncident("gifct-cip", "t", "cip", ADMIN, incident_id=iid))
                await _fill(svc, iid, size, clock)
                results = [
                    await _timed(lambda i=iid: svc.execute(i, AddNote("x", actor=ADMIN)), repeat),
                    await _timed(lambda i=iid: svc.get(i), repeat),
                    await _timed(lambda i=iid: svc.verify(i), repeat),
                ]
                cells = [f"{r / baseline:6.1f}x {r * 1000:6.1f}ms" for r in results]
                print(f"{size:>8} " + " ".join(f"{c:>16}" for c in cells))


def main(quick: bool) -> None:
    asyncio.run(_run(quick))
