"""``kill -9`` during ``crisisbot hashdb import``, then the import again (issue 13).

The import is killed the moment its first chunk is visible in the database. Every live entry must
then have its ``entry.add`` audit record (they commit together), and the re-import must say how
many of its lines were new and how many were already in the list. Before the fix the records were
written after each chunk had committed, and a kill in between left thousands of entries unaudited.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path

import asyncpg

from hashdb import open_hash_service

from .conftest import Database

ROOT = Path(__file__).resolve().parents[2]
LINES = 15_000  # three of the import's 5,000-line chunks


async def crisisbot(database: Database, *args: str, cwd: Path) -> asyncio.subprocess.Process:
    """``python -m crisisbot --db ... ARGS`` from this checkout, output piped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISBOT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "crisisbot", "--db", database.url, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=cwd,
    )  # fmt: skip


class Peek:
    """Reads the database from outside the importing process (a connection of its own)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._pg: asyncpg.Connection | None = None

    async def __aenter__(self) -> Peek:
        if self.database.schema is not None:
            self._pg = await asyncpg.connect(
                self.database.db, server_settings={"search_path": self.database.schema}
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pg is not None:
            await self._pg.close()

    async def rows(self, sql: str) -> list[tuple[object, ...]]:
        if self._pg is not None:
            return [tuple(r) for r in await self._pg.fetch(sql)]
        with sqlite3.connect(self.database.db) as conn:
            return conn.execute(sql).fetchall()

    async def live_ids(self) -> set[int]:
        rows = await self.rows("SELECT id FROM hashdb_entries WHERE removed_at IS NULL")
        return {int(r[0]) for r in rows}

    async def audited_adds(self) -> list[int]:
        rows = await self.rows("SELECT target FROM api_audit WHERE action = 'entry.add'")
        return sorted(int(str(r[0]).removeprefix("entry:")) for r in rows)


async def test_every_entry_left_by_a_killed_import_is_audited_and_the_reimport_counts(
    database: Database, tmp_path: Path
) -> None:
    rng = random.Random(1303)
    source = tmp_path / "hashes.txt"
    source.write_text("".join(f"pdq {rng.getrandbits(256):064x}\n" for _ in range(LINES)))
    async with open_hash_service(database.db, schema=database.schema) as svc:
        await svc.create_list("tve", created_by="cli:ana")

    async with Peek(database) as peek:
        proc = await crisisbot(
            database, "hashdb", "import", "tve", str(source), "--by", "cli:ana", cwd=tmp_path
        )
        deadline = time.monotonic() + 120
        while not await peek.live_ids():  # the first chunk has not committed yet
            assert proc.returncode is None, (await proc.communicate())[1].decode()
            assert time.monotonic() < deadline, "the import committed nothing in 120 s"
            await asyncio.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        assert await proc.wait() == -signal.SIGKILL

        live = await peek.live_ids()
        assert 0 < len(live) < LINES  # killed part-way
        assert await peek.audited_adds() == sorted(live)  # each exactly once

        again = await crisisbot(
            database, "hashdb", "import", "tve", str(source), "--by", "cli:ana", "--json",
            cwd=tmp_path,
        )  # fmt: skip
        out, err = await again.communicate()
        assert again.returncode == 0, err.decode()
        report = json.loads(out)
        assert (report["imported"], report["new"], report["already_present"]) == (
            LINES,
            LINES - len(live),
            len(live),
        )

        third = await crisisbot(database, "hashdb", "import", "tve", str(source), cwd=tmp_path)
        out, err = await third.communicate()
        assert third.returncode == 0, err.decode()
        assert f"Imported {LINES} entries into 'tve': 0 new, {LINES} already in the list." in (
            out.decode()
        )
        everything = await peek.live_ids()
        assert len(everything) == LINES
        assert await peek.audited_adds() == sorted(everything)
