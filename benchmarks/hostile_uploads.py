"""Part of ``python -m benchmarks.run api``: server memory and lookup latency while hostile
uploads are hashed.

Four clients (one separate process) upload decompression-bomb-sized images to
``/v1/match/upload`` again and again for the whole window while single lookups run against the
same server (the API benchmark's own load generator, another process); the same lookups run once
more without uploads, in the same run, as the baseline. Two files:

- the issue's bomb: an 86 KB grayscale PNG just under the pixel limit (9459 x 9459, 85 MiB
  decoded), which used to take 3.1 GB and 50 s to hash;
- the worst file the default limits accept: an 8192 x 8192 RGB PNG (256 MiB decoded, exactly
  ``hashdb.max_decode_bytes``).

Memory is the server process's (this process's) peak RSS above its RSS just before the uploads
start (``VmHWM`` reset through ``/proc/self/clear_refs``). Goal (issue 13): <= 1 GB above idle
while four uploads are hashed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.child_process import run_json_client

__all__ = ["bench_hostile_uploads"]

UPLOADERS = 4
MEMORY_GOAL_BYTES = 10**9


def _status_kib(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split(f"{field}:")[1].split()[0])


def _reset_peak() -> None:
    """Start ``VmHWM`` again from the current RSS (Linux >= 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")


def _bombs() -> dict[str, bytes]:
    from tests.hashdb.imaging import flat_png

    return {
        "gray PNG 9459x9459 (issue)": flat_png(9459, 9459),
        "RGB PNG 8192x8192 (largest accepted)": flat_png(8192, 8192, colour_type=2),
    }


# -- the upload client (runs in its own process) -----------------------------------------------


async def _upload(
    url: str, token: str, data: bytes, seconds: float, clients: int
) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:

        async def client() -> None:
            while time.perf_counter() < deadline:
                form = aiohttp.FormData()
                form.add_field("file", data, filename="bomb.png", content_type="image/png")
                started = time.perf_counter()
                async with session.post(f"{url}/v1/match/upload", data=form) as resp:
                    await resp.read()
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client() for _ in range(clients)))
    return {"statuses": statuses, "latencies": latencies}


async def _run_uploads(url: str, token: str, path: str, seconds: float) -> dict[str, Any]:
    return await run_json_client(
        "benchmarks.hostile_uploads", url, token, path, "--seconds", str(seconds),
        "--clients", str(UPLOADERS), what="upload client",
    )  # fmt: skip


# -- the measurement ----------------------------------------------------------------------------


async def bench_hostile_uploads(
    url: str, token: str, lookups: Callable[[], Awaitable[dict[str, Any]]], seconds: float
) -> str:
    """The table of lookup latency without and with four bomb uploads running, and peak server
    memory (returned, so the caller prints it with its own).

    ``lookups()`` runs the single-lookup load generator for ``seconds`` against ``url`` and
    returns its figures (``p50_ms``, ``p99_ms``, ``requests``, ``elapsed``, ``errors``).
    """
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, data in _bombs().items():
            path = Path(tmp) / "bomb.png"
            path.write_bytes(data)
            alone = await lookups()
            idle_kib = _status_kib("VmRSS")
            _reset_peak()
            uploads, during = await asyncio.gather(
                _run_uploads(url, token, str(path), seconds), lookups()
            )
            peak_kib = _status_kib("VmHWM")
            rows.append((label, len(data), alone, during, uploads, (peak_kib - idle_kib) * 1024))
    lines = [
        f"Hostile uploads: {UPLOADERS} clients uploading one file again and again for "
        f"{seconds:.0f} s while single lookups run (baseline: the same lookups alone, just before)",
        f"{'file':<38}{'bytes':>8}{'uploads':>8}{'status':>10}{'upload s':>9}{'peak MB':>9}"
        f"{'lookup p50 ms':>15}{'p99 ms':>8}{'p99 x':>7}{'req/s x':>8}  met",
    ]
    for label, size, alone, during, uploads, grown in rows:
        done = uploads["latencies"]
        statuses = ",".join(f"{k}:{v}" for k, v in sorted(uploads["statuses"].items()))
        median = sorted(done)[len(done) // 2] if done else float("nan")
        rate = (during["requests"] / during["elapsed"]) / (alone["requests"] / alone["elapsed"])
        lines.append(
            f"{label:<38}{size:>8,}{len(done):>8}{statuses:>10}{median:>9.1f}{grown / 1e6:>9,.0f}"
            f"{alone['p50_ms']:>7.1f}->{during['p50_ms']:<6.1f}{during['p99_ms']:>8.1f}"
            f"{during['p99_ms'] / alone['p99_ms']:>7.2f}{rate:>8.2f}  "
            f"{'yes' if grown <= MEMORY_GOAL_BYTES else 'NO'}"
        )
    lines.append(
        "(peak MB: server peak RSS above its RSS just before the uploads, goal <= 1,000; p99 x and "
        "req/s x: lookups during the uploads / lookups alone; upload s: median upload answer)"
    )
    return "\n".join(lines)


def _main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    for name in ("url", "token", "path"):
        parser.add_argument(name)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=UPLOADERS)
    args = parser.parse_args(argv)
    data = Path(args.path).read_bytes()
    result = asyncio.run(_upload(args.url, args.token, data, args.seconds, args.clients))
    print(json.dumps(result))


if __name__ == "__main__":
    _main(sys.argv[1:])
