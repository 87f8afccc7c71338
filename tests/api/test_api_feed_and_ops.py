"""Delta feed, HMA lookup, health, readiness, metrics, OpenAPI, rate limits, revocation, admin."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest
from openapi_spec_validator import validate

from hashdb.api.app import ROUTES

from .conftest import PG_DSN, ApiEnv, FakeClock, running_api
from .helpers import pdq


async def test_changes_page_in_order_and_resume_from_next_cursor(api: ApiEnv) -> None:
    await api.svc.create_list("public", visibility="public", created_by="t")
    await api.svc.create_list("theirs", visibility="private", owner="other", created_by="t")
    added = [await api.svc.add_entry("public", "pdq", pdq(i), added_by="t") for i in range(5)]
    await api.svc.add_entry("theirs", "pdq", pdq(99), added_by="t")
    await api.svc.remove_entry(added[1].id, reason="fp", removed_by="t")
    token = await api.key()

    seen, cursor = [], "0"
    while True:
        status, page, _ = await api.call("GET", f"/v1/changes?since={cursor}&limit=2", token)
        assert status == 200
        seen += [(c["kind"], c["entry"]["id"]) for c in page["changes"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == [("add", e.id) for e in added] + [("remove", added[1].id)]
    status, page, _ = await api.call("GET", f"/v1/changes?since={cursor}", token)
    assert page["changes"] == [] and page["next_cursor"] == cursor

    for bad in ["since=abc", "since=-1", "limit=0", "limit=x"]:
        status, err, _ = await api.call("GET", f"/v1/changes?{bad}", token)
        assert status == 400, bad


async def test_hma_lookup_answers_like_hma(api: ApiEnv) -> None:
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    await api.svc.create_list("news", kind="allow", visibility="public", created_by="t")
    entry = await api.svc.add_entry("gifct", "pdq", pdq(1), added_by="t")
    await api.svc.add_entry("news", "pdq", pdq(1), added_by="t")
    token = await api.key()
    status, body, _ = await api.call("GET", f"/m/lookup?signal_type=pdq&signal={pdq(1)}", token)
    assert status == 200 and body == {"gifct": [{"bank_content_id": entry.id, "distance": "0"}]}
    status, body, _ = await api.call("GET", f"/m/lookup?signal_type=pdq&signal={pdq(2)}", token)
    assert body == {}
    status, body, _ = await api.call("GET", "/m/lookup?signal_type=pdq&signal=12", token)
    assert status == 400
    status, _, _ = await api.call("GET", f"/m/lookup?signal_type=pdq&signal={pdq(1)}")
    assert status == 401


async def test_health_readiness_metrics(api: ApiEnv) -> None:
    assert (await api.call("GET", "/v1/health"))[:2] == (200, {"status": "ok"})
    status, body, _ = await api.call("GET", "/v1/ready")
    assert status == 200 and body["checks"] == {"access_store": "ok", "hash_service": "ok"}
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    await api.svc.add_entry("gifct", "pdq", pdq(1), added_by="t")
    token = await api.key()
    await api.call("GET", f"/v1/match?signal=pdq&value={pdq(1)}", token)
    await api.call("GET", "/v1/match?signal=pdq&value=zz", token)
    status, text, headers = await api.call("GET", "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert 'crisisbot_api_requests_total{route="/v1/match",method="GET",status="200"} 1' in text
    assert 'crisisbot_api_requests_total{route="/v1/match",method="GET",status="400"} 1' in text
    assert 'crisisbot_api_request_duration_seconds_count{route="/v1/match"} 2' in text
    assert 'crisisbot_api_matches_total{list_kind="block"} 1' in text
    assert "crisisbot_api_index_entries 1" in text


async def test_readiness_fails_when_a_store_is_gone(tmp_path: Path, clock: FakeClock) -> None:
    async with running_api(tmp_path, clock) as env:
        await env.access.store.close()
        status, body, _ = await env.call("GET", "/v1/ready")
        assert status == 503 and body["status"] == "unavailable"
        assert body["checks"]["access_store"].startswith("error")


async def test_openapi_document_is_valid_and_describes_every_route(api: ApiEnv) -> None:
    status, doc, _ = await api.call("GET", "/v1/openapi.json")
    assert status == 200
    validate(doc)
    described = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert described == {(method, path) for method, path, _ in ROUTES}


async def test_unknown_routes_and_methods_answer_json_errors(api: ApiEnv) -> None:
    async with api.session.get(api.url + "/v2/nothing") as resp:
        assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
    async with api.session.put(api.url + "/v1/match") as resp:
        assert resp.status == 405 and (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_rate_limit_answers_429_with_retry_after(tmp_path: Path, clock: FakeClock) -> None:
    async with running_api(tmp_path, clock, rate_limit_per_minute=60, rate_limit_burst=3) as env:
        token, other = await env.key("a"), await env.key("b")
        path = f"/v1/match?signal=pdq&value={pdq(1)}"
        statuses = [(await env.call("GET", path, token))[0] for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        status, body, headers = await env.call("GET", path, token)
        assert status == 429 and body["error"]["code"] == "rate_limited"
        assert headers["Retry-After"] == "1"
        assert (await env.call("GET", path, other))[0] == 200  # per key
        clock.advance(1)
        assert (await env.call("GET", path, token))[0] == 200


async def test_revoked_key_is_refused(api: ApiEnv) -> None:
    issued = await api.access.issue_key(platform="small", scope="query", created_by="t")
    path = f"/v1/match?signal=pdq&value={pdq(1)}"
    assert (await api.call("GET", path, issued.token))[0] == 200
    await api.access.revoke_key(issued.key.key_id, revoked_by="t")
    status, body, _ = await api.call("GET", path, issued.token)
    assert status == 401 and "revoked" in body["error"]["message"]


async def test_admin_reads_keys_with_query_counts_and_the_audit_log(api: ApiEnv) -> None:
    admin = await api.key("ops", "admin")
    reader = await api.key("small")
    await api.call(
        "POST", "/v1/match", reader, json={"queries": [{"signal": "pdq", "value": pdq(1)}] * 3}
    )
    await api.call("GET", f"/v1/match?signal=pdq&value={pdq(1)}", reader)
    assert (await api.call("GET", "/v1/keys", reader))[0] == 403
    status, body, _ = await api.call("GET", "/v1/keys", admin)
    counts = {k["platform"]: k["query_count"] for k in body["keys"]}
    assert counts == {"ops": 0, "small": 4}
    assert all("token" not in k for k in body["keys"])
    status, body, _ = await api.call("GET", "/v1/audit?action=key.create", admin)
    assert status == 200 and len(body["records"]) == 2


@pytest.mark.postgres
async def test_the_api_runs_on_postgresql(tmp_path: Path, clock: FakeClock) -> None:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        async with running_api(tmp_path, clock, schema=schema) as env:
            admin = await env.key("ops", "admin")
            status, _, _ = await env.call(
                "POST", "/v1/lists", admin, json={"name": "gifct", "visibility": "public"}
            )
            assert status == 201
            body = {"entries": [{"signal": "pdq", "value": pdq(1)}]}
            status, added, _ = await env.call("POST", "/v1/lists/gifct/entries", admin, json=body)
            assert status == 201
            status, found, _ = await env.call("GET", f"/v1/match?signal=pdq&value={pdq(1)}", admin)
            assert [m["entry_id"] for m in found["matches"]] == [added["entries"][0]["id"]]
            status, page, _ = await env.call("GET", "/v1/changes", admin)
            assert [c["kind"] for c in page["changes"]] == ["add"]
            status, records, _ = await env.call("GET", "/v1/audit", admin)
            assert [r["action"] for r in records["records"]] == [
                "entry.add", "list.create", "key.create",
            ]  # fmt: skip
    finally:
        conn = await asyncpg.connect(PG_DSN)
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.close()


async def test_serving_with_gc_tuning_freezes_start_up_objects(tmp_path: Path) -> None:
    import gc
    from datetime import UTC, datetime

    from hashdb import open_hash_service
    from hashdb.access import open_access_store
    from hashdb.api import create_app, serve_api
    from hashdb.api.server import SERVING_GC_THRESHOLD

    before = gc.get_threshold()
    db = str(tmp_path / "gc.db")
    async with open_hash_service(db) as svc, open_access_store(db) as store:
        runner = await serve_api(
            create_app(hash_service=svc, access_store=store, clock=lambda: datetime.now(UTC)),
            "127.0.0.1",
            0,
            tune_gc=True,
        )
        try:
            assert gc.get_threshold()[0] == SERVING_GC_THRESHOLD
            assert gc.get_freeze_count() > 0
        finally:
            await runner.cleanup()
            gc.unfreeze()
            gc.set_threshold(*before)
