"""Lookup API throughput: single-hash and 100-hash batch lookups over loopback HTTP.

Loads N random PDQ hashes (1,000,000; ``--quick`` 50,000) into a fresh SQLite database through
``HashService.add_entries`` in chunks, then measures, in the same run:

- the baseline: in-process ``HashService.match`` / ``match_many`` (no HTTP);
- the API: a load generator in a *separate process* (aiohttp client, bounded by time and count)
  against ``hashdb.api`` served on 127.0.0.1, for single ``GET /v1/match`` lookups and for
  ``POST /v1/match`` batches of 100 hashes, reporting throughput and p50/p99 latency;
- hostile uploads (``benchmarks/hostile_uploads.py``): peak server memory and single-lookup
  latency while four decompression-bomb-sized uploads are hashed, against the same lookups alone.

A tenth of the queries are near-duplicates (distance <= 16) of stored hashes so matches are
rendered too. Goals (issue 5): >= 3,000 single lookups/s and >= 30,000 hashes/s batched.

Then lookups while hashes are added (``benchmarks.api_writes``, issue 13): lookups alone against
the same lookups with 1 % and 5 % adds, add latency and add-to-visible latency.

Run: ``python -m benchmarks.run api [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from benchmarks.child_process import run_json_client
from benchmarks.hostile_uploads import bench_hostile_uploads

SINGLE_GOAL = 3_000
BATCH_GOAL = 30_000
BATCH = 100


def utc_now() -> datetime:
    return datetime.now(UTC)


def _random_pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _near(value: str, rng: random.Random, max_bits: int = 16) -> str:
    number = int(value, 16)
    for bit in rng.sample(range(256), rng.randint(0, max_bits)):
        number ^= 1 << bit
    return f"{number:064x}"


def _queries(stored: list[str], count: int, rng: random.Random) -> list[str]:
    return [
        _near(rng.choice(stored), rng) if rng.random() < 0.1 else _random_pdq(rng)
        for _ in range(count)
    ]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the load generator (runs in its own process) ---------------------------------------------


async def _load(url: str, token: str, mode: str, queries: list[str], seconds: float,
                max_requests: int, concurrency: int) -> dict[str, Any]:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    # requests are prepared up front so the generator spends its time sending, not formatting
    single_urls = [
        URL(f"{url}/v1/match?signal=pdq&value={value}", encoded=True) for value in queries
    ]
    batch_url = URL(f"{url}/v1/match", encoded=True)
    batch_bodies = [
        json.dumps(
            {"queries": [{"signal": "pdq", "value": v} for v in queries[i : i + BATCH]]}
        ).encode()
        for i in range(0, len(queries) - BATCH + 1, BATCH)
    ]
    json_headers = {**headers, "Content-Type": "application/json"}
    async with aiohttp.ClientSession(
        connector=connector, headers=headers, auto_decompress=False
    ) as session:

        async def worker(offset: int) -> None:
            nonlocal errors, sent
            i = offset
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                started = time.perf_counter()
                if mode == "single":
                    request = session.get(single_urls[i % len(single_urls)])
                else:
                    body = batch_bodies[i % len(batch_bodies)]
                    request = session.post(batch_url, data=body, headers=json_headers)
                async with request as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)
                i += concurrency

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "requests": len(latencies),
        "client_cores": cpu / elapsed,
        "errors": errors,
        "elapsed": elapsed,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
    }


def _loadgen_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    for name in ("url", "token", "mode", "queries_file"):
        parser.add_argument(name)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    queries = json.loads(Path(args.queries_file).read_text())
    result = asyncio.run(
        _load(args.url, args.token, args.mode, queries, args.seconds, args.max_requests,
              args.concurrency)
    )  # fmt: skip
    print(json.dumps(result))


async def _run_loadgen(url: str, token: str, mode: str, queries_file: str, seconds: float,
                       concurrency: int) -> dict[str, Any]:  # fmt: skip
    return await run_json_client(
        "benchmarks.bench_api", "--loadgen", url, token, mode, queries_file,
        "--seconds", str(seconds), "--concurrency", str(concurrency), what="load generator",
    )  # fmt: skip


# -- the benchmark ---------------------------------------------------------------------------


async def _bench(quick: bool) -> None:
    from benchmarks import api_writes
    from hashdb import NewEntry, open_hash_service
    from hashdb.access import open_access_store
    from hashdb.api import ApiConfig, create_app, serve_api

    size = 50_000 if quick else 1_000_000
    seconds = 3.0 if quick else 10.0
    rng = random.Random(20190315)
    stored = [_random_pdq(rng) for _ in range(size)]
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "bench.db")
        async with open_hash_service(db, clock=utc_now) as svc:
            await svc.create_list("bench", visibility="public", created_by="bench")
            started = time.perf_counter()
            for i in range(0, size, 20_000):
                chunk = [NewEntry("pdq", v) for v in stored[i : i + 20_000]]
                await svc.add_entries("bench", chunk, added_by="bench")
            insert_s = time.perf_counter() - started
            started = time.perf_counter()
            await svc.refresh()
            index_s = time.perf_counter() - started
            print(f"loaded {size:,} PDQ hashes: insert {insert_s:.1f} s "
                  f"({size / insert_s:,.0f}/s), index {index_s:.1f} s", flush=True)  # fmt: skip

            queries = _queries(stored, 20_000, rng)
            n_single = 500 if quick else 2_000
            started = time.perf_counter()
            for value in queries[:n_single]:
                await svc.match("pdq", value, lists=["bench"])
            single_local = (time.perf_counter() - started) / n_single
            n_batches = 20 if quick else 50
            started = time.perf_counter()
            for b in range(n_batches):
                batch = [("pdq", v) for v in queries[b * BATCH : (b + 1) * BATCH]]
                await svc.match_many(batch, lists=["bench"])
            batch_local = (time.perf_counter() - started) / n_batches

            queries_file = os.path.join(tmp, "queries.json")
            await asyncio.to_thread(Path(queries_file).write_text, json.dumps(queries))
            async with open_access_store(db) as access_store:
                config = ApiConfig(rate_limit_per_minute=10**9, rate_limit_burst=10**9,
                                   max_batch=1000)  # fmt: skip
                app = create_app(
                    hash_service=svc, access_store=access_store, settings=config, clock=utc_now
                )
                runner = await serve_api(app, "127.0.0.1", 0, tune_gc=True)  # as crisisbot serve
                try:
                    from hashdb.api.app_keys import ACCESS

                    issued = await app[ACCESS].issue_key(
                        platform="bench", scope="query", created_by="bench"
                    )
                    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
                    single = await _run_loadgen(url, issued.token, "single", queries_file,
                                                seconds, 16)  # fmt: skip
                    batch = await _run_loadgen(url, issued.token, "batch", queries_file,
                                               seconds, 4)  # fmt: skip
                    hostile = await bench_hostile_uploads(
                        url,
                        issued.token,
                        lambda: _run_loadgen(
                            url, issued.token, "single", queries_file, seconds, 16
                        ),
                        seconds,
                    )
                    adder = await app[ACCESS].issue_key(
                        platform="coordinator", scope="contribute", created_by="bench"
                    )
                    mixed = await api_writes.measure(url, issued.token, adder.token, "bench",
                                                     queries_file, seconds)  # fmt: skip
                finally:
                    await runner.cleanup()

    single_rate = single["requests"] / single["elapsed"]
    batch_rate = batch["requests"] * BATCH / batch["elapsed"]
    local_single_rate = 1 / single_local
    local_batch_rate = BATCH / batch_local
    rows = [
        ("single lookups/s", local_single_rate, single_rate, single["p50_ms"], single["p99_ms"],
         single["errors"], SINGLE_GOAL),
        ("batched hashes/s", local_batch_rate, batch_rate, batch["p50_ms"], batch["p99_ms"],
         batch["errors"], BATCH_GOAL),
    ]  # fmt: skip
    print(f"cores: {os.cpu_count()}; index: {size:,} PDQ; load: {seconds:.0f} s per mode, "
          f"client in a separate process (it used {single['client_cores']:.2f} / "
          f"{batch['client_cores']:.2f} cores)")  # fmt: skip
    header = (
        f"{'measure':<18}{'in-process':>12}{'HTTP':>10}{'HTTP/in-proc':>14}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'goal':>9}  met"
    )
    print(header)
    for name, local, http, p50, p99, errors, goal in rows:
        print(
            f"{name:<18}{local:>12,.0f}{http:>10,.0f}{http / local:>14.2f}"
            f"{p50:>9.2f}{p99:>9.2f}{errors:>8}{goal:>9,}  {'yes' if http >= goal else 'NO'}"
        )
    print(f"in-process match: {single_local * 1e6:,.0f} us per hash single, "
          f"{batch_local * 1e3:,.2f} ms per {BATCH}-hash batch")  # fmt: skip
    print(f"\n{hostile}")
    api_writes.print_table(mixed, size=size, seconds=seconds)


def main(quick: bool) -> None:
    asyncio.run(_bench(quick))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--loadgen":
        _loadgen_main(sys.argv[2:])
    else:
        main(quick="--quick" in sys.argv)
