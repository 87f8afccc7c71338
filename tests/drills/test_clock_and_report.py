"""The drill clock (scaled, paused, interrupted) and the after-action report renderings."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import pytest

from crisisbot.drill_hashes import exercise_hashes_over
from protocols.drills.actions import load_script
from protocols.drills.clock import DrillClock
from protocols.drills.report_render import render_report, report_to_dict
from protocols.drills.session import create_runner
from tests.drills.helpers import SCRIPTS_DIR, T0, CollectingSink, Services


class FakeWall:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_clock_needs_aware_t0_and_positive_speed() -> None:
    with pytest.raises(ValueError):
        DrillClock(T0.replace(tzinfo=None))
    with pytest.raises(ValueError):
        DrillClock(T0, speed=0)


async def test_virtual_clock_jumps_and_never_goes_back() -> None:
    clock = DrillClock(T0)
    assert await clock.wait_until(timedelta(minutes=5))
    assert clock.now() == T0 + timedelta(minutes=5)
    assert await clock.wait_until(timedelta(minutes=1))
    assert clock.elapsed() == timedelta(minutes=5)


async def test_scaled_clock_moves_only_while_waiting() -> None:
    wall = FakeWall()
    clock = DrillClock(T0, speed=60, monotonic=wall)
    wall.t += 10  # not waiting: the drill's own work takes no drill time
    assert clock.elapsed() == timedelta(0)
    waiter = asyncio.create_task(clock.wait_until(timedelta(hours=1)))
    await asyncio.sleep(0)
    wall.t += 30  # 30 wall seconds at x60 while waiting
    assert clock.elapsed() == timedelta(minutes=30)
    clock.interrupt()
    assert await waiter is False
    wall.t += 100
    assert clock.elapsed() == timedelta(minutes=30)


async def test_scaled_wait_lands_exactly_on_its_target() -> None:
    clock = DrillClock(T0, speed=3600)  # the real monotonic clock: one drill hour per second
    assert await clock.wait_until(timedelta(seconds=36))  # about 10 ms of wall time
    assert clock.elapsed() == timedelta(seconds=36)


async def test_pause_resume_stop() -> None:
    wall = FakeWall()
    clock = DrillClock(T0, speed=10, monotonic=wall)
    waiter = asyncio.create_task(clock.wait_until(timedelta(hours=1)))
    await asyncio.sleep(0)
    wall.t += 6
    clock.pause()
    assert await waiter is False and clock.paused
    wall.t += 1000
    assert clock.elapsed() == timedelta(minutes=1)
    paused_wait = asyncio.create_task(clock.wait_until(timedelta(hours=1)))
    await asyncio.sleep(0)
    assert not paused_wait.done()
    clock.resume()
    assert await paused_wait is False and not clock.paused
    clock.stop()
    assert clock.stopped
    assert await clock.wait_until(timedelta(hours=1)) is False
    assert clock.elapsed() == timedelta(minutes=1)


async def _report(services: Services, run_id: str, drop: int = 0):
    script = load_script(SCRIPTS_DIR / "livestream-attack.perfect.yaml")
    runner = create_runner(
        services.scenarios.find("livestream-attack"),
        library=services.library,
        incidents=services.incidents,
        exercise_hashes=exercise_hashes_over(services.hashes),
        clock=DrillClock(T0),
        sink=CollectingSink(),
        script=script[drop:],
        run_id=run_id,
    )
    return await runner.run()


async def test_every_rendering_is_marked_drill_on_every_line(services: Services) -> None:
    report = await _report(services, "mark")
    md = render_report(report, "md")
    for line in md.splitlines():
        if line.strip() and not re.fullmatch(r"\|(---\|)+", line):  # table rule lines
            assert "DRILL" in line, line
    html = render_report(report, "html")
    assert html.count("<tr>") == html.count('class="drill">DRILL<')
    assert "<title>DRILL" in html and html.count('class="banner"') == 2
    data = json.loads(render_report(report, "json"))
    assert data["drill"] is True
    for key in ("expectations", "steps", "uploads", "never_done"):
        assert data[key] and all(row["drill"] is True for row in data[key])


async def test_reports_of_two_runs_are_comparable(services: Services) -> None:
    first = report_to_dict(await _report(services, "one"))
    second = report_to_dict(await _report(services, "two"))
    for key in ("run_id", "incident_id", "exercise_list"):
        assert first.pop(key) != second.pop(key)
    assert first == second  # same scenario, same script: row for row the same report
    worse = report_to_dict(await _report(services, "three", drop=1))  # first action missing
    assert [x["id"] for x in worse["expectations"]] == [x["id"] for x in first["expectations"]]
    assert [s["step"] for s in worse["steps"]] == [s["step"] for s in first["steps"]]
    assert worse["expectations"][0]["status"] == "missed"
    assert (
        worse["scenario"]
        == first["scenario"]
        == {
            "id": "livestream-attack",
            "version": 1,
            "title": "Livestreamed attack, stills re-uploaded in edited forms to small platforms",
        }
    )


async def test_report_times_in_the_reader_time_zone(services: Services) -> None:
    report = await _report(services, "tz")
    md = render_report(report, "md", timezone="Pacific/Auckland")
    assert "T0: 2026-03-15 14:40:00 NZDT" in md
    assert "unknown report format" in str(pytest.raises(ValueError, render_report, report, "pdf"))


async def test_wall_times_map_back_to_drill_time() -> None:
    """Under Discord the engine stamps wall time; the clock maps it back to drill time."""
    wall = FakeWall()
    clock = DrillClock(T0, speed=60, monotonic=wall, wall=lambda: T0 + timedelta(seconds=wall.t))
    at = lambda seconds: T0 + timedelta(seconds=seconds)  # noqa: E731 - wall datetime
    assert clock.offset_at(at(50)) == timedelta(0)  # before the first wait
    waiter = asyncio.create_task(clock.wait_until(timedelta(minutes=10)))
    await asyncio.sleep(0)  # waiting from wall 100 s
    wall.t += 4
    clock.interrupt()  # a player acted at wall 104 s = drill 4 min
    assert await waiter is False
    wall.t += 20  # the drill reacts for 20 wall seconds: no drill time passes
    assert clock.offset_at(at(102)) == timedelta(minutes=2)
    assert clock.offset_at(at(110)) == timedelta(minutes=4)
    assert clock.offset_at(at(124)) == timedelta(minutes=4)
    clock.pause()
    assert clock.offset_at(at(500)) == timedelta(minutes=4)
