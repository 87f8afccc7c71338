"""Videos through the real API server: an uploaded video matched with shares and time ranges, a
posted vPDQ hash, a picture's PDQ finding a stored video's frame, and the vPDQ export. Every
response is checked against the OpenAPI document (``conformance``)."""

from __future__ import annotations

import hashlib
import json

import aiohttp
import pytest

from hashdb import hash_bytes
from hashdb.video import parse_video, write_vpdq
from tests.hashdb.video_clips import letterbox, short_clip, transcode

from .conftest import ApiEnv


@pytest.fixture(scope="module")
def clip() -> bytes:
    return short_clip()


async def _stored(api: ApiEnv, clip: bytes) -> int:
    await api.svc.create_list("attack-videos", visibility="public", created_by="t")
    (hashed,) = hash_bytes(clip, name="attack.mp4")
    entry = await api.svc.add_entry(
        "attack-videos", "vpdq", hashed.value, source="attack.mp4", added_by="t"
    )
    return entry.id


async def test_an_uploaded_copy_matches_with_shares_and_time_ranges(
    api: ApiEnv, clip: bytes
) -> None:
    entry_id = await _stored(api, clip)
    copy = transcode(clip, transform=letterbox, start=3.0)
    assert len(copy) < 200_000  # the fixture's upload limit
    form = aiohttp.FormData()
    form.add_field("file", copy, filename="repost.mp4", content_type="video/mp4")
    status, body, _ = await api.call("POST", "/v1/match/upload", await api.key(), data=form)
    assert status == 200, body
    by_signal = {r["query"]["signal"]: r for r in body["results"]}
    assert set(by_signal) - {"orb"} == {"md5", "sha256", "vpdq"}  # orb: key frames
    (match,) = by_signal["vpdq"]["matches"]
    assert match["entry_id"] == entry_id and match["signal"] == "vpdq"
    detail = match["detail"]
    assert detail["matched"] and detail["query_share"] >= 0.5
    segment = detail["segments"][0]
    assert segment["stored"]["start"] == pytest.approx(3.0, abs=1.5)
    assert segment["query"]["text"].startswith("00:00-")


async def test_a_posted_vpdq_hash_matches(api: ApiEnv, clip: bytes) -> None:
    entry_id = await _stored(api, clip)
    (hashed,) = hash_bytes(transcode(clip, start=2.0), name="excerpt.mp4")
    text = "".join(write_vpdq(parse_video(hashed.value)))
    queries = {"queries": [{"signal": "vpdq", "value": text}]}
    status, body, _ = await api.call("POST", "/v1/match", await api.key(), json=queries)
    assert status == 200, body
    (result,) = body["results"]
    assert [m["entry_id"] for m in result["matches"]] == [entry_id]
    assert result["matches"][0]["detail"]["segments"]


async def test_bad_vpdq_is_refused_with_the_reason(api: ApiEnv) -> None:
    queries = {"queries": [{"signal": "vpdq", "value": "0,abc,90,0.0"}]}
    status, body, _ = await api.call("POST", "/v1/match", await api.key(), json=queries)
    assert status == 400 and "no 64-hex-digit PDQ" in body["error"]["message"]


async def test_a_picture_finds_the_stored_video_frame(api: ApiEnv, clip: bytes) -> None:
    entry_id = await _stored(api, clip)
    frame = parse_video((await api.svc.get_entry(entry_id)).value).frames[2]
    path = f"/v1/match?signal=pdq&value={frame.pdq}"
    status, body, _ = await api.call("GET", path, await api.key())
    assert status == 200
    (match,) = body["matches"]
    assert match["entry_id"] == entry_id
    assert match["detail"]["timestamp"] == pytest.approx(frame.timestamp)


async def test_the_list_exports_its_videos_as_vpdq_json_lines(api: ApiEnv, clip: bytes) -> None:
    entry_id = await _stored(api, clip)
    status, body, headers = await api.call(
        "GET", "/v1/lists/attack-videos/export?format=vpdq-jsonl", await api.key()
    )
    assert status == 200 and headers["Content-Type"].startswith("application/x-ndjson")
    (record,) = [json.loads(line) for line in body.splitlines()]
    assert record["id"] == entry_id and record["name"] == "attack.mp4"
    assert record["frames"] == [f.to_line() for f in parse_video(hash_bytes(clip)[0].value).frames]


async def test_the_audit_log_names_a_video_by_digest_not_by_every_frame(
    api: ApiEnv, clip: bytes
) -> None:
    entry_id = await _stored(api, clip)
    value = (await api.svc.get_entry(entry_id)).value
    (record,) = [r for r in await api.access.audit() if r.target == f"entry:{entry_id}"]
    assert record.action == "entry.add" and record.detail["signal"] == "vpdq"
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    assert record.detail["value"] == f"9 frames, 00:09, 10 fps, sha256 {digest}"
