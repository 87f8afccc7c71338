"""`crisisbot keys`, `crisisbot sync` and `crisisbot serve` as subprocesses."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from hashdb import open_hash_service

from .conftest import FakeClock, running_api
from .helpers import pdq


async def crisisbot(db: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISBOT_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "crisisbot", "--db", str(db), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_keys_create_list_revoke(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    code, out, _ = await crisisbot(
        db, "keys", "create", "--platform", "small", "--scope", "contribute", "--json"
    )
    assert code == 0
    created = json.loads(out)
    assert (
        created["token"].startswith(f"cbk_{created['key_id']}_")
        and created["scope"] == "contribute"
    )
    code, out, err = await crisisbot(db, "keys", "create", "--platform", "ops", "--scope", "admin")
    assert code == 0 and "token:    cbk_" in out and "shown only once" in err

    code, out, _ = await crisisbot(db, "keys", "list", "--json")
    listed = json.loads(out)
    assert [(k["platform"], k["active"]) for k in listed] == [("small", True), ("ops", True)]
    assert "token" not in out and created["token"] not in out
    assert created["token"] not in db.read_bytes().decode("latin-1")

    code, out, _ = await crisisbot(db, "keys", "revoke", created["key_id"], "--json")
    assert code == 0 and json.loads(out)["active"] is False
    code, out, _ = await crisisbot(db, "keys", "list")
    assert "revoked" in out and "active" in out
    code, out, _ = await crisisbot(db, "keys", "audit", "--json")
    assert [r["action"] for r in json.loads(out)] == ["key.revoke", "key.create", "key.create"]

    code, _, err = await crisisbot(db, "keys", "revoke", "ffffffffffff")
    assert code == 1 and "Error: no API key with id 'ffffffffffff'" in err
    code, _, err = await crisisbot(db, "keys", "create", "--platform", "bad name!")
    assert code == 1 and "invalid platform name" in err


async def test_sync_then_serve_the_local_copy(tmp_path: Path, clock: FakeClock) -> None:
    (tmp_path / "remote").mkdir()
    local_db = tmp_path / "local.db"
    async with running_api(tmp_path / "remote", clock) as remote:
        await remote.svc.create_list("gifct", visibility="public", created_by="t")
        entry = await remote.svc.add_entry("gifct", "pdq", pdq(1), added_by="t")
        await remote.svc.add_entry("gifct", "pdq", pdq(2), added_by="t")
        key = await remote.key("small")
        code, out, err = await crisisbot(
            local_db, "sync", "--from", remote.url, "--key", key, "--json"
        )
        assert code == 0, err
        assert json.loads(out)["added"] == 2
        await remote.svc.remove_entry(entry.id, reason="fp", removed_by="t")
        code, out, err = await crisisbot(local_db, "sync", "--from", remote.url, "--key", key)
        assert code == 0 and "0 added, 1 removed" in out
        code, _, err = await crisisbot(local_db, "sync", "--from", remote.url, "--key", "nope")
        assert code == 1 and "401" in err

    code, out, _ = await crisisbot(local_db, "keys", "create", "--platform", "small", "--json")
    token = json.loads(out)["token"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISBOT_")}
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "crisisbot", "--db", str(local_db), "serve", "--host", "127.0.0.1",
        "--port", str(port), stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    try:
        assert server.stderr is not None
        line = await asyncio.wait_for(server.stderr.readline(), 30)
        assert f"127.0.0.1:{port}" in line.decode()
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession() as session:
            for value, expected in [(pdq(1), []), (pdq(2), ["mirror.gifct"])]:
                url = f"http://127.0.0.1:{port}/v1/match?signal=pdq&value={value}"
                async with session.get(url, headers=headers) as resp:
                    body = await resp.json()
                assert [m["list_name"] for m in body["matches"]] == expected
    finally:
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), 30) == 0


async def test_cli_writes_are_in_the_audit_log(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    code, _, err = await crisisbot(db, "hashdb", "create", "tve", "--by", "cli:ana")
    assert code == 0, err
    code, out, err = await crisisbot(
        db, "hashdb", "add", "tve", "--hash", f"pdq:{pdq(1)}", "--by", "cli:ana", "--json"
    )
    assert code == 0, err
    (entry,) = json.loads(out)["added"]
    code, _, err = await crisisbot(  # the same hash again: nothing new, nothing audited
        db, "hashdb", "add", "tve", "--hash", f"pdq:{pdq(1)}", "--by", "cli:ana"
    )
    assert code == 0, err
    code, _, err = await crisisbot(
        db, "hashdb", "remove", str(entry["id"]), "--reason", "duplicate", "--by", "cli:bo"
    )
    assert code == 0, err
    code, out, _ = await crisisbot(db, "keys", "audit", "--json")
    assert [(r["action"], r["actor"], r["target"]) for r in json.loads(out)] == [
        ("entry.remove", "cli:bo", f"entry:{entry['id']}"),
        ("entry.add", "cli:ana", f"entry:{entry['id']}"),
        ("list.create", "cli:ana", "list:tve"),
    ]


async def test_sync_writes_are_in_the_audit_log(tmp_path: Path, clock: FakeClock) -> None:
    """What `crisisbot sync` adds and removes locally is audited like any other write."""
    (tmp_path / "remote").mkdir()
    local_db = tmp_path / "local.db"
    async with running_api(tmp_path / "remote", clock) as remote:
        await remote.svc.create_list("gifct", visibility="public", created_by="t")
        first = await remote.svc.add_entry("gifct", "pdq", pdq(1), added_by="t")
        await remote.svc.add_entry("gifct", "pdq", pdq(2), added_by="t")
        key = await remote.key("small")
        code, _, err = await crisisbot(local_db, "sync", "--from", remote.url, "--key", key)
        assert code == 0, err
        await remote.svc.remove_entry(first.id, reason="fp", removed_by="t")
        code, _, err = await crisisbot(local_db, "sync", "--from", remote.url, "--key", key)
        assert code == 0, err
    async with open_hash_service(str(local_db)) as local:
        mirrored = await local.entries("mirror.gifct", include_removed=True)
    by_value = {e.value: e.id for e in mirrored}
    code, out, _ = await crisisbot(local_db, "keys", "audit", "--json")
    actor = f"sync:{remote.url}"
    assert [(r["action"], r["actor"], r["target"]) for r in json.loads(out)] == [
        ("entry.remove", actor, f"entry:{by_value[pdq(1)]}"),
        ("entry.add", actor, f"entry:{by_value[pdq(2)]}"),
        ("entry.add", actor, f"entry:{by_value[pdq(1)]}"),
        ("list.create", actor, "list:mirror.gifct"),
    ]
