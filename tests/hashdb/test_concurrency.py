"""Two OS processes writing to one database at once lose nothing (SQLite file and PostgreSQL)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from hashdb import open_hash_service

from .conftest import PG_DSN, throwaway_schema

WRITER = r"""
import asyncio, sys
from hashdb import open_hash_service

async def main(db, schema, prefix, count):
    async with open_hash_service(db, schema=schema or None) as svc:
        for i in range(count):
            await svc.add_entry("shared", "md5", f"{prefix}{i:030x}", added_by=f"proc-{prefix}")
            if i % 10 == 0:
                await svc.match("md5", f"{prefix}{i:030x}")

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
"""


async def _two_writers(db: str, schema: str, count: int) -> None:
    async with open_hash_service(db, schema=schema or None) as svc:
        await svc.create_list("shared", created_by="test")
        writers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                WRITER,
                db,
                schema,
                prefix,
                str(count),
                stderr=subprocess.PIPE,
            )
            for prefix in ("aa", "bb")
        ]
        for proc in writers:
            _, err = await asyncio.wait_for(proc.communicate(), timeout=100)
            assert proc.returncode == 0, err.decode()
        entries = await svc.entries("shared")
        assert len(entries) == 2 * count
        assert {e.added_by for e in entries} == {"proc-aa", "proc-bb"}
        changes = await svc.changes(limit=10_000)
        seqs = [c.seq for c in changes]
        assert len(seqs) == 2 * count and seqs == sorted(set(seqs))
        # this process's index picks up every row the others wrote
        result = await svc.match("md5", f"bb{count - 1:030x}")
        assert [m.entry.added_by for m in result.matches] == ["proc-bb"]
        assert svc.index_sizes()["md5"] == 2 * count


async def test_two_processes_writing_to_one_sqlite_file(tmp_path: Path) -> None:
    await _two_writers(str(tmp_path / "shared.db"), "", 150)


@pytest.mark.postgres
async def test_two_processes_writing_to_postgresql() -> None:
    async with throwaway_schema() as schema:
        await _two_writers(PG_DSN, schema, 100)
