"""Lookups while hashes are added: the ``api`` benchmark's mixed-load part (issue 13).

On a crisis day platforms keep querying while coordinators add hashes, so an add must cost what
its row costs and must not hold lookups up. This part runs, in one load-generator process against
the served API and in the same run:

- lookups alone (single ``GET /v1/match``) from ``CONCURRENCY`` clients;
- the same lookups with 1 % and then 5 % of the requests being adds of one fresh PDQ hash
  (``POST /v1/lists/{name}/entries``).

It reports lookup throughput and p50/p99 latency, the lookup p99 against lookups alone (goal
``P99_GOAL_RATIO`` at 5 % adds), add latency, and how long a new entry takes to be visible: from
sending the add until a lookup of its hash first returns it (every added hash is probed, at once
after its add answers and then every ``PROBE_INTERVAL`` s; goal p99 <= ``VISIBLE_GOAL_MS``).
Probes are not counted as lookups; they add a little load to the mixed runs only.

Run through ``python -m benchmarks.run api``; the load generator is
``python -m benchmarks.api_writes`` (a separate process, so it does not share the server's core).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 64
ADD_SHARES = (0.0, 0.01, 0.05)
P99_GOAL_RATIO = 1.5
VISIBLE_GOAL_MS = 1000.0
PROBE_INTERVAL = 0.02
PROBE_GIVE_UP = 10.0

__all__ = ["measure", "print_table"]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _mixed(url: str, query_token: str, add_token: str, list_name: str, queries: list[str],
                 add_share: float, seconds: float, seed: int) -> dict[str, Any]:  # fmt: skip
    """One run: ``CONCURRENCY`` clients, each request an add with probability ``add_share``."""
    rng = random.Random(seed)
    lookups: list[float] = []
    adds: list[float] = []
    visible: list[float] = []
    errors = 0
    never_visible = 0
    probes: list[asyncio.Task[None]] = []
    lookup_urls = [URL(f"{url}/v1/match?signal=pdq&value={v}", encoded=True) for v in queries]
    add_url = URL(f"{url}/v1/lists/{list_name}/entries", encoded=True)
    query_headers = {"Authorization": f"Bearer {query_token}"}
    add_headers = {"Authorization": f"Bearer {add_token}", "Content-Type": "application/json"}
    deadline = time.perf_counter() + seconds

    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), auto_decompress=False
    ) as session:

        async def probe(value: str, sent: float) -> None:
            nonlocal never_visible, errors
            probe_url = URL(f"{url}/v1/match?signal=pdq&value={value}", encoded=True)
            while time.perf_counter() - sent < PROBE_GIVE_UP:
                async with session.get(probe_url, headers=query_headers) as resp:
                    body = await resp.json()
                if resp.status != 200:
                    errors += 1
                    return
                if body["matches"]:
                    visible.append(time.perf_counter() - sent)
                    return
                await asyncio.sleep(PROBE_INTERVAL)
            never_visible += 1

        async def client(k: int) -> None:
            nonlocal errors
            mine = random.Random(seed * 1000 + k)
            i = k
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if mine.random() < add_share:
                    value = f"{rng.getrandbits(256):064x}"
                    body = json.dumps({"entries": [{"signal": "pdq", "value": value}]}).encode()
                    async with session.post(add_url, data=body, headers=add_headers) as resp:
                        await resp.read()
                        ok = resp.status == 201
                    adds.append(time.perf_counter() - started)
                    if ok:
                        probes.append(asyncio.create_task(probe(value, started)))
                else:
                    async with session.get(
                        lookup_urls[i % len(lookup_urls)], headers=query_headers
                    ) as resp:
                        await resp.read()
                        ok = resp.status == 200
                    lookups.append(time.perf_counter() - started)
                    i += CONCURRENCY
                if not ok:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
        await asyncio.gather(*probes)
    return {
        "add_share": add_share,
        "lookups_per_s": len(lookups) / elapsed,
        "lookup_p50_ms": _percentile(lookups, 0.50) * 1000,
        "lookup_p99_ms": _percentile(lookups, 0.99) * 1000,
        "adds": len(adds),
        "add_p50_ms": _percentile(adds, 0.50) * 1000,
        "add_p99_ms": _percentile(adds, 0.99) * 1000,
        "visible_p50_ms": _percentile(visible, 0.50) * 1000,
        "visible_p99_ms": _percentile(visible, 0.99) * 1000,
        "visible_max_ms": max(visible, default=float("nan")) * 1000,
        "never_visible": never_visible,
        "errors": errors,
    }


def _loadgen_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    for name in ("url", "query_token", "add_token", "list_name", "queries_file"):
        parser.add_argument(name)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args(argv)
    queries = json.loads(Path(args.queries_file).read_text())
    results = []
    for n, share in enumerate(ADD_SHARES):
        results.append(
            asyncio.run(
                _mixed(
                    args.url,
                    args.query_token,
                    args.add_token,
                    args.list_name,
                    queries,
                    share,
                    args.seconds,
                    seed=n + 1,
                )
            )  # fmt: skip
        )
    print(json.dumps(results))


async def measure(url: str, query_token: str, add_token: str, list_name: str, queries_file: str,
                  seconds: float) -> list[dict[str, Any]]:  # fmt: skip
    """Every ``ADD_SHARES`` run against the API at ``url``, in a load-generator process."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.api_writes", url, query_token, add_token, list_name,
        queries_file, "--seconds", str(seconds), stdout=asyncio.subprocess.PIPE, cwd=str(ROOT),
    )  # fmt: skip
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"mixed load generator failed with status {proc.returncode}")
    return list(json.loads(out))


def print_table(results: list[dict[str, Any]], *, size: int, seconds: float) -> None:
    """The mixed-load table; ratios are against the lookups-alone row of the same run."""
    alone = results[0]["lookup_p99_ms"]
    print(f"lookups while adding: {CONCURRENCY} clients, {seconds:.0f} s per mix, "
          f"{size:,} PDQ in the list; goals: lookup p99 at 5 % adds <= {P99_GOAL_RATIO}x alone, "
          f"new entry visible p99 <= {VISIBLE_GOAL_MS:,.0f} ms")  # fmt: skip
    print(f"{'mix':<14}{'lookups/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'p99/alone':>10}"
          f"{'adds':>6}{'add p50':>9}{'add p99':>9}{'vis p50':>9}{'vis p99':>9}{'vis max':>9}"
          f"{'lost':>5}{'err':>5}  met")  # fmt: skip
    for row in results:
        share = row["add_share"]
        ratio = row["lookup_p99_ms"] / alone
        name = "lookups alone" if share == 0 else f"{share:.0%} adds"
        met = ""
        if share:
            ok = row["visible_p99_ms"] <= VISIBLE_GOAL_MS and not row["never_visible"]
            if share >= 0.05:
                ok = ok and ratio <= P99_GOAL_RATIO
            met = "yes" if ok and not row["errors"] else "NO"
        print(f"{name:<14}{row['lookups_per_s']:>10,.0f}{row['lookup_p50_ms']:>9.1f}"
              f"{row['lookup_p99_ms']:>9.1f}{ratio:>10.2f}{row['adds']:>6}"
              f"{row['add_p50_ms']:>9.1f}{row['add_p99_ms']:>9.1f}{row['visible_p50_ms']:>9.1f}"
              f"{row['visible_p99_ms']:>9.1f}{row['visible_max_ms']:>9.1f}"
              f"{row['never_visible']:>5}{row['errors']:>5}  {met}")  # fmt: skip


if __name__ == "__main__":
    _loadgen_main(sys.argv[1:])
