"""Local features (``orb``) through the API, the sync, exports and the CLI.

One real photo is added from its file bytes (every signal, local features included); a heavily
edited copy (off-centre crop at half size, which no whole-frame hash survives) is what a platform
uploads. Every response is checked against the OpenAPI document by ``ApiEnv.call``.
"""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from pathlib import Path

import aiohttp
import pytest

from hashdb import HashService, NewEntry, open_hash_service
from hashdb.access import open_access_store
from hashdb.api.sync_client import sync_from
from hashdb.formats import iter_export
from tests.cli_env import run_crisisbot
from tests.hashdb.imaging import encode
from tests.hashdb.photo_edits import load_photo

from .conftest import ApiEnv, FakeClock, running_api

pytest.importorskip("skimage", reason="scikit-image ships the real photos (the test extra)")


@cache
def _photos() -> tuple[bytes, bytes]:
    """The photo as added, and an off-centre crop of it at half size, as uploaded."""
    photo = load_photo("astronaut.png")
    w, h = photo.size
    part = photo.crop((w // 3, h // 4, w, h))
    return encode(photo), encode(part.resize((part.width // 2, part.height // 2)))


async def _add_photo(svc: HashService, list_name: str) -> int:
    """Add the photo's file hashes; the id of its orb entry."""
    hashes = await svc.hash_bytes(_photos()[0], variants=True)
    entries = await svc.add_entries(
        list_name,
        [NewEntry(h.signal, h.value, quality=h.quality, variants=h.variants) for h in hashes],
        added_by="t",
    )
    (orb,) = [e for e in entries if e.signal == "orb"]
    return orb.id


async def test_an_upload_found_by_local_features_says_how(api: ApiEnv) -> None:
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    entry_id = await _add_photo(api.svc, "gifct")
    token = await api.key()
    form = aiohttp.FormData()
    form.add_field("file", _photos()[1], filename="repost.jpg", content_type="image/jpeg")
    status, body, _ = await api.call("POST", "/v1/match/upload", token, data=form)
    assert status == 200
    assert body["decision"] == {"matched": True, "allowed": False, "signals": ["orb"]}
    (match,) = [m for r in body["results"] for m in r["matches"]]
    assert (match["entry_id"], match["signal"], match["measure"]) == (entry_id, "orb", "inliers")
    transform = match["detail"]
    assert transform["inliers"] == match["distance"] >= 15
    assert transform["scale"] == pytest.approx(0.5, abs=0.1) and not transform["mirrored"]
    assert transform["region"] == pytest.approx([1 / 3, 1 / 4, 1, 1], abs=0.1)

    # the same value as text, in a batch (too long for a URL)
    (orb_query,) = [r["query"] for r in body["results"] if r["query"]["signal"] == "orb"]
    status, batch, _ = await api.call("POST", "/v1/match", token, json={"queries": [orb_query]})
    assert status == 200
    assert [m["entry_id"] for m in batch["results"][0]["matches"]] == [entry_id]

    form = aiohttp.FormData()
    form.add_field("file", encode(load_photo("coffee.png")), filename="other.jpg")
    status, body, _ = await api.call("POST", "/v1/match/upload", token, data=form)
    assert body["decision"] == {"matched": False, "allowed": False, "signals": []}


async def test_a_mirror_matches_local_features_the_same_way(
    tmp_path: Path, clock: FakeClock
) -> None:
    (tmp_path / "remote").mkdir()
    async with running_api(tmp_path / "remote", clock) as remote:
        await remote.svc.create_list(
            "gifct", visibility="public", created_by="t", thresholds={"orb": 20}
        )
        await _add_photo(remote.svc, "gifct")
        (at_source,) = [m for r in await remote.svc.match_bytes(_photos()[1]) for m in r.matches]
        key = await remote.key("small")
        local_db = str(tmp_path / "local.db")
        async with (
            open_hash_service(local_db, clock=clock) as local,
            open_access_store(local_db) as store,
        ):
            report = await sync_from(
                remote.url, key, hash_service=local, access_store=store, clock=clock
            )
            assert report.added == 5  # md5, sha256, pdq, phash, orb
            assert (await local.get_list("mirror.gifct")).thresholds == {"orb": 20}
            (mirrored,) = [m for r in await local.match_bytes(_photos()[1]) for m in r.matches]
            assert mirrored.signal == "orb" and mirrored.entry.value == at_source.entry.value
            assert (mirrored.distance, mirrored.detail) == (at_source.distance, at_source.detail)


def _crisisbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_crisisbot(tmp_path, *args)


async def test_json_lines_keep_local_features_and_name_the_line_of_a_bad_blob(
    tmp_path: Path,
) -> None:
    async with open_hash_service(str(tmp_path / "cli.db")) as svc:
        await svc.create_list("gifct", created_by="t")
        await svc.create_list("copy", created_by="t")
        await _add_photo(svc, "gifct")
        exported = list(iter_export(await svc.entries("gifct"), "jsonl"))
    lines = [json.loads(line) for line in exported]
    (orb_line,) = [n for n, line in enumerate(lines) if line["signal"] == "orb"]
    broken = dict(lines[orb_line], value=lines[orb_line]["value"][:-8])  # cut short
    source = tmp_path / "in.jsonl"
    source.write_text("".join(exported) + json.dumps(broken) + "\n")

    result = _crisisbot(tmp_path, "hashdb", "import", "copy", str(source), "--json")
    assert result.returncode == 1
    body = json.loads(result.stdout)
    assert body["imported"] == len(lines)  # every good line, local features included
    (error,) = body["errors"]
    assert error.startswith(f"{source}:{len(lines) + 1}: local features:") and "bytes" in error

    repost = tmp_path / "repost.jpg"
    repost.write_bytes(_photos()[1])
    check = _crisisbot(tmp_path, "hashdb", "check", str(repost), "--list", "copy")
    assert check.returncode == 0
    (line,) = [line for line in check.stdout.splitlines() if "MATCH" in line]
    assert "\torb\t" in line and "keypoints" in line and "inliers=" in line
    assert re.search(
        r"\(scale 0\.[45]\d*, shows 3\d%-100% x 2\d%-100% of the stored picture\)", line
    )
    as_json = json.loads(_crisisbot(tmp_path, "hashdb", "check", str(repost), "--json").stdout)
    assert as_json["decisions"] == [
        {"input": str(repost), "matched": True, "allowed": False, "signals": ["orb"]}
    ]
