"""Concurrent single lookups are matched together, grouped by the lists each may search."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hashdb.api.lookup_coalescer import LookupCoalescer
from hashdb.errors import HashDBError

from .conftest import ApiEnv
from .helpers import pdq


class GatedService:
    """match_many records each call and waits for the test to open the gate."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[tuple[str, str]], list[str]]] = []
        self.gate = asyncio.Event()
        self.fail = False

    async def match_many(
        self, queries: list[tuple[str, str]], *, lists: list[str], include_exercise: bool
    ) -> list[Any]:
        self.calls.append((list(queries), lists))
        await self.gate.wait()
        if self.fail:
            raise HashDBError("store unavailable")
        return [f"{value}@{','.join(lists)}" for _, value in queries]


async def test_lookups_arriving_during_a_batch_go_out_together() -> None:
    svc = GatedService()
    coalescer = LookupCoalescer(svc, max_batch=3)  # type: ignore[arg-type]
    first = asyncio.create_task(coalescer.match("pdq", "v0", lists=["a"], include_exercise=False))
    await asyncio.sleep(0)
    later = [
        asyncio.create_task(coalescer.match("pdq", f"v{i}", lists=lists, include_exercise=False))
        for i, lists in enumerate([["a"], ["a"], ["b"], ["a"], ["a"]], start=1)
    ]
    await asyncio.sleep(0)
    svc.gate.set()
    assert await first == "v0@a"
    assert await asyncio.gather(*later) == ["v1@a", "v2@a", "v3@b", "v4@a", "v5@a"]
    assert [(len(q), lists) for q, lists in svc.calls] == [
        (1, ["a"]),
        (3, ["a"]),
        (1, ["a"]),
        (1, ["b"]),
    ]


async def test_a_failed_batch_fails_only_its_lookups() -> None:
    svc = GatedService()
    svc.fail = True
    coalescer = LookupCoalescer(svc, max_batch=10)  # type: ignore[arg-type]
    waiting = [
        asyncio.create_task(coalescer.match("pdq", f"v{i}", lists=["a"], include_exercise=False))
        for i in range(3)
    ]
    svc.gate.set()
    for task in waiting:
        with pytest.raises(HashDBError, match="unavailable"):
            await task
    svc.fail = False
    assert await coalescer.match("pdq", "ok", lists=["a"], include_exercise=False) == "ok@a"


async def test_concurrent_lookups_through_the_api_keep_each_keys_lists(api: ApiEnv) -> None:
    await api.svc.create_list("mine", visibility="private", owner="small", created_by="t")
    await api.svc.create_list("public", visibility="public", created_by="t")
    await api.svc.add_entry("mine", "pdq", pdq(1), added_by="t")
    await api.svc.add_entry("public", "pdq", pdq(2), added_by="t")
    small, other = await api.key("small"), await api.key("other")

    async def lists_matched(token: str, value: str) -> list[str]:
        _, body, _ = await api.call("GET", f"/v1/match?signal=pdq&value={value}", token)
        return [m["list_name"] for m in body["matches"]]

    results = await asyncio.gather(
        *(lists_matched(t, v) for t in (small, other) for v in (pdq(1), pdq(2)) for _ in range(5))
    )
    expected = [["mine"]] * 5 + [["public"]] * 5 + [[]] * 5 + [["public"]] * 5
    assert results == expected
    status, body, _ = await api.call("GET", "/v1/match?signal=pdq&value=nothex", small)
    assert status == 400 and body["error"]["code"] == "invalid_hash"
