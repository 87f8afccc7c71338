from __future__ import annotations

import asyncio

from bot.coalesced_refresher import CoalescedRefresher


async def test_burst_of_requests_runs_refresh_once_per_key_with_latest_state() -> None:
    state = {"a": 0, "b": 0}
    seen: list[tuple[str, int]] = []

    async def refresh(key: str) -> None:
        seen.append((key, state[key]))

    refresher: CoalescedRefresher[str] = CoalescedRefresher(refresh, interval=0)
    for value in range(1, 6):
        state["a"] = value
        refresher.request("a")
    state["b"] = 7
    refresher.request("b")
    await refresher.flush()
    assert sorted(seen) == [("a", 5), ("b", 7)]
    assert refresher.runs == 2


async def test_request_during_a_refresh_causes_exactly_one_more_refresh() -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    async def refresh(key: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            started.set()
            await release.wait()

    refresher: CoalescedRefresher[str] = CoalescedRefresher(refresh, interval=0)
    refresher.request("x")
    await started.wait()
    for _ in range(10):
        refresher.request("x")
    release.set()
    await refresher.flush()
    assert calls == 2


async def test_failing_refresh_is_logged_and_later_requests_still_run() -> None:
    calls: list[int] = []

    async def refresh(key: int) -> None:
        calls.append(key)
        if len(calls) == 1:
            raise RuntimeError("discord said no")

    refresher: CoalescedRefresher[int] = CoalescedRefresher(refresh, interval=0)
    refresher.request(1)
    await refresher.flush()
    refresher.request(1)
    await refresher.flush()
    assert calls == [1, 1]


async def test_close_cancels_pending_refreshes() -> None:
    calls: list[str] = []

    async def refresh(key: str) -> None:
        calls.append(key)

    refresher: CoalescedRefresher[str] = CoalescedRefresher(refresh, interval=3600)
    refresher.request("x")
    await refresher.flush()
    refresher.request("x")  # within the interval: waits
    await asyncio.sleep(0)
    await refresher.close()
    assert calls == ["x"]
