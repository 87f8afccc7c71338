"""Matching through the real server: single, batch, upload, feedback, and their errors."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from hashdb import hash_bytes

from .conftest import ApiEnv, FakeClock, running_api
from .helpers import flip, pdq, png_bomb, png_image


async def seed_lists(api: ApiEnv) -> dict[str, int]:
    svc = api.svc
    await svc.create_list("gifct", visibility="public", thresholds={"pdq": 31}, created_by="t")
    await svc.create_list("news", kind="allow", visibility="public", created_by="t")
    await svc.create_list("secret", visibility="private", owner="other", created_by="t")
    block = await svc.add_entry("gifct", "pdq", pdq(1), labels=["attack"], added_by="t")
    allow = await svc.add_entry("news", "pdq", pdq(1), labels=["news"], added_by="t")
    hidden = await svc.add_entry("secret", "pdq", pdq(1), added_by="t")
    return {"block": block.id, "allow": allow.id, "hidden": hidden.id}


async def test_single_match_reports_distance_list_labels_and_allow_hits_separately(
    api: ApiEnv,
) -> None:
    ids = await seed_lists(api)
    token = await api.key()
    query = flip(pdq(1), 9).upper()
    status, body, _ = await api.call("GET", f"/v1/match?signal=pdq&value={query}", token)
    assert status == 200
    assert body["query"] == {"signal": "pdq", "value": query.lower()}
    assert [(m["entry_id"], m["list_name"], m["distance"]) for m in body["matches"]] == [
        (ids["block"], "gifct", 9)
    ]
    assert body["matches"][0]["labels"] == ["attack"] and body["matched"] is True
    assert [(m["entry_id"], m["list_name"]) for m in body["allow_matches"]] == [
        (ids["allow"], "news")
    ]
    assert body["drill"] is False  # the private list of another platform is never searched


async def test_batch_matches_in_order_and_validates_every_hash_first(api: ApiEnv) -> None:
    await seed_lists(api)
    token = await api.key()
    queries = [{"signal": "pdq", "value": flip(pdq(1), 3)}, {"signal": "pdq", "value": pdq(2)}]
    status, body, _ = await api.call("POST", "/v1/match", token, json={"queries": queries})
    assert status == 200
    assert [len(r["matches"]) for r in body["results"]] == [1, 0]
    assert [r["query"]["value"] for r in body["results"]] == [q["value"] for q in queries]

    bad = [*queries, {"signal": "pdq", "value": "abc"}]
    status, body, _ = await api.call("POST", "/v1/match", token, json={"queries": bad})
    assert status == 400 and body["error"]["code"] == "invalid_hash"
    assert "queries[2]" in body["error"]["message"]


async def test_hash_errors_name_the_problem(api: ApiEnv) -> None:
    token = await api.key()
    cases = [
        ("/v1/match?signal=pdq&value=xyz", 400, "invalid_hash"),
        ("/v1/match?signal=pdq&value=" + "a" * 62, 400, "invalid_hash"),
        ("/v1/match?signal=nope&value=" + "a" * 64, 400, "invalid_hash"),
        ("/v1/match?signal=pdq", 400, "invalid_request"),
    ]
    for path, status, code in cases:
        got, body, _ = await api.call("GET", path, token)
        assert (got, body["error"]["code"]) == (status, code), path
        assert body["error"]["message"]


async def test_batch_limits_and_malformed_bodies(api: ApiEnv) -> None:
    token = await api.key()
    six = [{"signal": "pdq", "value": pdq(i)} for i in range(6)]  # the fixture allows 5
    status, body, _ = await api.call("POST", "/v1/match", token, json={"queries": six})
    assert status == 400 and body["error"]["code"] == "batch_too_large"
    for payload in [b"not json", b"[1, 2]", b'{"queries": []}', b'{"queries": [{"signal": 1}]}']:
        status, body, _ = await api.call(
            "POST", "/v1/match", token, data=payload, headers={"Content-Type": "application/json"}
        )
        assert status == 400 and body["error"]["code"] == "invalid_request", payload


async def test_json_body_over_the_limit_is_413(tmp_path: Path, clock: FakeClock) -> None:
    async with running_api(tmp_path, clock, max_json_bytes=10_000) as env:
        token = await env.key()
        queries = [{"signal": "pdq", "value": pdq(i)} for i in range(200)]
        status, body, _ = await env.call("POST", "/v1/match", token, json={"queries": queries})
        assert status == 413 and body["error"]["code"] == "payload_too_large"


async def test_keys_are_required_and_both_headers_work(api: ApiEnv) -> None:
    await seed_lists(api)
    path = f"/v1/match?signal=pdq&value={pdq(1)}"
    status, body, _ = await api.call("GET", path)
    assert status == 401 and body["error"]["code"] == "unauthenticated"
    status, body, _ = await api.call("GET", path, "cbk_000000000000_" + "A" * 43)
    assert status == 401
    token = await api.key()
    status, body, _ = await api.call("GET", path, headers={"X-API-Key": token})
    assert status == 200 and len(body["matches"]) == 1


async def test_upload_is_hashed_with_every_signal_type_and_matched(api: ApiEnv) -> None:
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    image = png_image(7)
    hashes = {h.signal: h.value for h in hash_bytes(image)}
    await api.svc.add_entry("gifct", "pdq", hashes["pdq"], added_by="t")
    await api.svc.add_entry("gifct", "md5", hashes["md5"], added_by="t")
    token = await api.key()
    form = aiohttp.FormData()
    form.add_field("file", image, filename="upload.png", content_type="image/png")
    status, body, _ = await api.call("POST", "/v1/match/upload", token, data=form)
    assert status == 200 and body["file"] == {"name": "upload.png", "bytes": len(image)}
    by_signal = {r["query"]["signal"]: r for r in body["results"]}
    assert set(by_signal) >= {"md5", "sha256", "pdq", "phash"}
    assert by_signal["pdq"]["matches"][0]["distance"] == 0
    assert by_signal["md5"]["matched"] and not by_signal["sha256"]["matched"]


async def upload(api: ApiEnv, token: str, data: bytes, name: str = "f.bin") -> tuple[int, dict]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    status, body, _ = await api.call("POST", "/v1/match/upload", token, data=form)
    return status, body


async def test_upload_errors(api: ApiEnv) -> None:
    token = await api.key()
    status, body = await upload(api, token, b"\0" * 300_000)  # the fixture allows 200,000
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    status, body = await upload(api, token, b"just some text, not an image")
    assert status == 415 and body["error"]["code"] == "unsupported_media"
    status, body = await upload(api, token, png_bomb())
    assert status == 415 and "bomb" in body["error"]["message"]
    status, body, _ = await api.call("POST", "/v1/match/upload", token, json={"file": "x"})
    assert status == 400 and "multipart" in body["error"]["message"]
    form = aiohttp.FormData()
    form.add_field("other", b"x", filename="x")
    status, body, _ = await api.call("POST", "/v1/match/upload", token, data=form)
    assert status == 400 and "'file'" in body["error"]["message"]


async def test_upload_over_the_limit_without_content_length_is_refused_while_streaming(
    api: ApiEnv,
) -> None:
    token = await api.key()

    async def chunks():  # a chunked body: the server cannot know the size in advance
        for _ in range(30):
            yield b"\0" * 10_000

    writer = aiohttp.MultipartWriter("form-data")
    part = writer.append(chunks())
    part.set_content_disposition("form-data", name="file", filename="big.bin")
    status, body, _ = await api.call("POST", "/v1/match/upload", token, data=writer)
    assert status == 413


async def test_feedback_is_counted_on_the_entry(api: ApiEnv) -> None:
    ids = await seed_lists(api)
    token = await api.key()
    path = f"/v1/entries/{ids['block']}/feedback"
    status, body, _ = await api.call(
        "POST", path, token, json={"verdict": "false_positive", "note": "a logo"}
    )
    assert status == 201 and body["false_positive_count"] == 1
    status, body, _ = await api.call("POST", path, token, json={"verdict": "confirmed"})
    assert (body["confirmed_count"], body["false_positive_count"]) == (1, 1)
    status, body, _ = await api.call("POST", path, token, json={"verdict": "maybe"})
    assert status == 400
    status, body, _ = await api.call(
        "POST", f"/v1/entries/{ids['hidden']}/feedback", token, json={"verdict": "confirmed"}
    )
    assert status == 404 and body["error"]["code"] == "entry_not_found"
    status, _, _ = await api.call(
        "POST", "/v1/entries/999999/feedback", token, json={"verdict": "confirmed"}
    )
    assert status == 404
