"""Running a benchmark's client in a process of its own, which prints its figures as JSON.

Why a separate process: the client's CPU and memory must not count as the server's.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["run_json_client"]

ROOT = Path(__file__).resolve().parents[1]


async def run_json_client(module: str, *args: str, what: str) -> dict[str, Any]:
    """``python -m module args...`` from the repository root; its stdout parsed as JSON
    (RuntimeError naming ``what`` if it fails)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, stdout=asyncio.subprocess.PIPE, cwd=str(ROOT)
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed with status {proc.returncode}")
    result: dict[str, Any] = json.loads(out)
    return result
