"""Lists and entries through the real server: visibility, scopes, drills, audit, export."""

from __future__ import annotations

import asyncio
import csv
import io
import json

from hashdb.access import AuditAction

from .conftest import ApiEnv
from .helpers import pdq


async def make_lists(api: ApiEnv) -> None:
    svc = api.svc
    await svc.create_list("public", visibility="public", created_by="t")
    await svc.create_list("mine", visibility="private", owner="small", created_by="t")
    await svc.create_list("shared", visibility="shared", shared_with=["small"], created_by="t")
    await svc.create_list("theirs", visibility="private", owner="other", created_by="t")
    await svc.create_list("drill", visibility="public", exercise=True, created_by="t")
    await svc.add_entry("drill", "pdq", pdq(50), added_by="t", exercise=True)


async def names(api: ApiEnv, token: str, query: str = "") -> list[str]:
    status, body, _ = await api.call("GET", f"/v1/lists{query}", token)
    assert status == 200
    return sorted(hl["name"] for hl in body["lists"])


async def test_visibility_and_drill_lists(api: ApiEnv) -> None:
    await make_lists(api)
    query_key = await api.key("small")
    drill_key = await api.key("small", exercise=True)
    admin = await api.key("ops", "admin")
    assert await names(api, query_key) == ["mine", "public", "shared"]
    assert await names(api, admin) == ["mine", "public", "shared", "theirs"]
    assert await names(api, drill_key) == ["mine", "public", "shared"]  # did not ask
    assert await names(api, drill_key, "?include_exercise=true") == [
        "drill", "mine", "public", "shared",
    ]  # fmt: skip
    status, body, _ = await api.call("GET", "/v1/lists?include_exercise=true", query_key)
    assert status == 403 and "exercise" in body["error"]["message"]
    for path in ["/v1/lists/theirs", "/v1/lists/drill", "/v1/lists/nope"]:
        status, body, _ = await api.call("GET", path, query_key)
        assert status == 404 and body["error"]["code"] == "list_not_found", path

    status, body, _ = await api.call("GET", "/v1/lists/drill?include_exercise=true", drill_key)
    assert status == 200 and body["drill"] is True
    hit = f"/v1/match?signal=pdq&value={pdq(50)}"
    status, body, _ = await api.call("GET", hit, drill_key)
    assert body["matches"] == []
    status, body, _ = await api.call("GET", hit + "&include_exercise=true", drill_key)
    assert body["drill"] is True and body["matches"][0]["drill"] is True


async def test_add_batch_is_all_or_nothing_and_audited(api: ApiEnv) -> None:
    await make_lists(api)
    contributor = await api.key("small", "contribute")
    good = [
        {"signal": "pdq", "value": pdq(1), "labels": ["attack"], "source": "upload-scan"},
        {"signal": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e", "incident_id": "inc-1"},
    ]
    path = "/v1/lists/mine/entries"
    status, body, _ = await api.call(
        "POST", path, contributor, json={"entries": [*good, {"signal": "pdq", "value": "zz"}]}
    )
    assert status == 400 and body["error"]["code"] == "invalid_hash"
    assert await api.svc.entries("mine") == []

    status, body, _ = await api.call("POST", path, contributor, json={"entries": good})
    assert status == 201
    added = body["entries"]
    assert [(e["signal"], e["labels"], e["source"]) for e in added] == [
        ("pdq", ["attack"], "upload-scan"),
        ("md5", [], "small"),
    ]
    assert all(e["added_by"].startswith("api:small/") and e["drill"] is False for e in added)
    audit = await api.access.audit(action=AuditAction.ENTRY_ADD)
    by_api = [r.target for r in audit if r.actor.startswith("api:small/")]
    assert sorted(by_api) == sorted(f"entry:{e['id']}" for e in added)
    # the drill entry make_lists added through the service directly (as the CLI and the bot
    # do) is in the same audit log, with its own actor
    assert [r.actor for r in audit if r.target == "entry:1"] == ["t"]

    status, body, _ = await api.call("GET", "/v1/lists/mine/entries?limit=1", contributor)
    assert [e["id"] for e in body["entries"]] == [added[0]["id"]]
    assert body["next_after"] == added[0]["id"]
    status, body, _ = await api.call(
        "GET", f"/v1/lists/mine/entries?after={added[0]['id']}", contributor
    )
    assert [e["id"] for e in body["entries"]] == [added[1]["id"]] and body["next_after"] is None
    status, body, _ = await api.call("GET", f"/v1/entries/{added[1]['id']}", contributor)
    assert status == 200 and body["incident_id"] == "inc-1"


async def test_concurrent_adds_are_all_audited(api: ApiEnv) -> None:
    """Twenty adds at once: twenty audit records (an audit write used to fail, logged and
    lost, when two began a transaction on the access store's connection together)."""
    await make_lists(api)
    contributor = await api.key("small", "contribute")

    async def add(seed: int) -> tuple[int, dict]:
        body = {"entries": [{"signal": "pdq", "value": pdq(1000 + seed)}]}
        status, answer, _ = await api.call(
            "POST", "/v1/lists/public/entries", contributor, json=body
        )
        return status, answer

    answers = await asyncio.gather(*(add(seed) for seed in range(20)))
    assert [status for status, _ in answers] == [201] * 20
    added = sorted(f"entry:{answer['entries'][0]['id']}" for _, answer in answers)
    audit = await api.access.audit(action=AuditAction.ENTRY_ADD)
    assert sorted(r.target for r in audit if r.actor.startswith("api:small/")) == added


async def test_scopes_and_removing_only_own_entries(api: ApiEnv) -> None:
    await make_lists(api)
    reader = await api.key("small", "query")
    contributor = await api.key("small", "contribute")
    stranger = await api.key("other", "contribute")
    admin = await api.key("ops", "admin")
    body = {"entries": [{"signal": "pdq", "value": pdq(2)}]}
    status, err, _ = await api.call("POST", "/v1/lists/public/entries", reader, json=body)
    assert status == 403 and err["error"]["code"] == "forbidden"
    status, err, _ = await api.call("POST", "/v1/lists/theirs/entries", contributor, json=body)
    assert status == 404
    status, got, _ = await api.call("POST", "/v1/lists/public/entries", contributor, json=body)
    entry_id = got["entries"][0]["id"]
    cli_entry = await api.svc.add_entry("public", "pdq", pdq(3), added_by="cli:ops")

    for token, target, expected in [
        (reader, entry_id, 403),
        (stranger, entry_id, 403),
        (contributor, cli_entry.id, 403),
    ]:
        status, err, _ = await api.call("DELETE", f"/v1/entries/{target}?reason=x", token)
        assert status == expected, (token, target)
    status, err, _ = await api.call("DELETE", f"/v1/entries/{entry_id}", contributor)
    assert status == 400 and "reason" in err["error"]["message"]
    assert (await api.svc.get_entry(entry_id)).active

    status, removed, _ = await api.call(
        "DELETE", f"/v1/entries/{entry_id}", contributor, json={"reason": "false positive"}
    )
    assert status == 200 and removed["removal_reason"] == "false positive"
    status, removed, _ = await api.call("DELETE", f"/v1/entries/{cli_entry.id}?reason=dup", admin)
    assert status == 200 and removed["removed_by"].startswith("api:ops/")
    status, err, _ = await api.call("DELETE", "/v1/entries/424242?reason=x", admin)
    assert status == 404 and err["error"]["code"] == "entry_not_found"
    removals = await api.access.audit(action=AuditAction.ENTRY_REMOVE)
    assert [(r.target, r.detail["reason"]) for r in removals] == [
        (f"entry:{cli_entry.id}", "dup"),
        (f"entry:{entry_id}", "false positive"),
    ]


async def test_admin_creates_lists(api: ApiEnv) -> None:
    admin = await api.key("ops", "admin")
    contributor = await api.key("small", "contribute")
    spec = {"name": "christchurch", "visibility": "shared", "shared_with": ["small"]}
    status, _, _ = await api.call("POST", "/v1/lists", contributor, json=spec)
    assert status == 403
    status, created, _ = await api.call("POST", "/v1/lists", admin, json=spec)
    assert status == 201 and created["owner"] == "ops" and created["shared_with"] == ["small"]
    status, err, _ = await api.call("POST", "/v1/lists", admin, json=spec)
    assert status == 409 and err["error"]["code"] == "list_exists"
    status, err, _ = await api.call("POST", "/v1/lists", admin, json={"name": "x", "kind": "maybe"})
    assert status == 400
    assert await names(api, contributor) == ["christchurch"]


async def test_export_in_every_format_is_streamed(api: ApiEnv) -> None:
    await make_lists(api)
    value = pdq(9)
    await api.svc.add_entry("public", "pdq", value, labels=["a", "b"], added_by="t")
    token = await api.key("small", exercise=True)
    status, text, headers = await api.call("GET", "/v1/lists/public/export?format=csv", token)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["hash"], r["signal_type"], r["labels"]) for r in rows] == [(value, "pdq", "a,b")]
    status, text, _ = await api.call("GET", "/v1/lists/public/export?format=jsonl", token)
    assert [json.loads(line)["value"] for line in text.splitlines()] == [value]
    status, text, _ = await api.call("GET", "/v1/lists/public/export?format=text", token)
    assert text == f"pdq {value}\n"
    status, err, _ = await api.call("GET", "/v1/lists/public/export?format=xml", token)
    assert status == 400 and "xml" in err["error"]["message"]
    status, text, headers = await api.call(
        "GET", "/v1/lists/drill/export?format=text&include_exercise=true", token
    )
    assert headers["X-Crisisbot-Drill"] == "true" and "DRILL-" in headers["Content-Disposition"]
    status, _, _ = await api.call("GET", "/v1/lists/drill/export", token)
    assert status == 404
