"""Promises of docs/api.md (the lookup API) and /v1/openapi.json that a platform relies on.

Each test pins a point where the running server and its documentation once disagreed (found by
calling the API as an outside client would), so that they cannot drift apart again.
"""

from __future__ import annotations

import json
from pathlib import Path

from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from hashdb.api import ApiConfig
from hashdb.api.errors import STATUS_BY_ERROR
from hashdb.api.openapi import openapi_document
from hashdb.formats import parse_entries

from .conftest import ApiEnv
from .helpers import pdq
from .test_cli_api import crisisbot


async def test_hma_lookup_marks_matches_in_exercise_lists(api: ApiEnv) -> None:
    """docs/api.md: every match touching a drill list carries ``"drill": true`` — HMA's answer too,
    while real matches keep HMA's exact two-field shape."""
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    await api.svc.create_list("drill", visibility="public", exercise=True, created_by="t")
    real = await api.svc.add_entry("gifct", "pdq", pdq(1), added_by="t")
    drill = await api.svc.add_entry("drill", "pdq", pdq(1), added_by="t", exercise=True)
    token = await api.key(exercise=True)
    lookup = f"/m/lookup?signal_type=pdq&signal={pdq(1)}"

    status, body, _ = await api.call("GET", lookup + "&include_exercise=true", token)
    assert status == 200
    assert body == {
        "gifct": [{"bank_content_id": real.id, "distance": "0"}],
        "drill": [{"bank_content_id": drill.id, "distance": "0", "drill": True}],
    }
    status, body, _ = await api.call("GET", lookup, token)
    assert body == {"gifct": [{"bank_content_id": real.id, "distance": "0"}]}


def _errors_paragraph() -> str:
    page = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    start = page.index("**Errors.**")
    return page[start : page.index("\n\n", start)]


#: codes no request to the API can produce: keys are only looked up by id from the CLI
_CLI_ONLY_CODES = {"key_not_found"}


def test_readme_and_openapi_name_every_error_code_a_client_can_meet() -> None:
    codes = {code for _, code in STATUS_BY_ERROR.values()} - _CLI_ONLY_CODES
    codes |= {"not_found", "method_not_allowed"}
    paragraph = _errors_paragraph()
    assert {c for c in codes if f"`{c}`" not in paragraph and f" {c}`" not in paragraph} == set()
    described = openapi_document()["components"]["schemas"]["Error"]["properties"]["error"]
    assert {c for c in codes if c not in described["properties"]["code"]["description"]} == set()


async def test_low_quality_hash_is_refused_with_its_documented_code(api: ApiEnv) -> None:
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    token = await api.key(scope="contribute")
    flat = {"signal": "pdq", "value": "0" * 64}
    status, body, _ = await api.call(
        "POST", "/v1/lists/gifct/entries", token, json={"entries": [flat]}
    )
    assert (status, body["error"]["code"]) == (400, "low_quality_hash")
    forced = {**flat, "allow_low_quality": True}
    status, _, _ = await api.call(
        "POST", "/v1/lists/gifct/entries", token, json={"entries": [forced]}
    )
    assert status == 201


async def test_empty_batches_are_refused_as_the_document_says(api: ApiEnv) -> None:
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    token = await api.key(scope="contribute")
    paths = openapi_document()["paths"]
    for path, field in [("/v1/match", "queries"), ("/v1/lists/gifct/entries", "entries")]:
        template = path.replace("gifct", "{name}")
        schema = paths[template]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert schema["properties"][field]["minItems"] == 1
        status, body, _ = await api.call("POST", path, token, json={field: []})
        assert (status, body["error"]["code"]) == (400, "invalid_request"), path


async def test_documented_parameter_bounds_are_the_servers(api: ApiEnv) -> None:
    """Every bounded integer parameter: the documented extremes are accepted, one beyond is 400."""
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    token = await api.key(platform="hub", scope="admin")
    maxima = {"/v1/changes": ApiConfig().changes_max_limit}
    checked = 0
    for template, operations in openapi_document()["paths"].items():
        for param in operations.get("get", {}).get("parameters", []):
            schema = param["schema"]
            if "minimum" not in schema:
                continue
            path = template.replace("{name}", "gifct")
            high = schema.get("maximum", maxima.get(template))
            for value, want in [(schema["minimum"], 200), (schema["minimum"] - 1, 400)] + (
                [(high, 200), (high + 1, 400)] if high is not None else []
            ):
                status, _, _ = await api.call("GET", f"{path}?{param['name']}={value}", token)
                assert status == want, (template, param["name"], value)
                checked += 1
    assert checked >= 10


async def test_json_lines_export_marks_every_line_of_a_drill_list(api: ApiEnv) -> None:
    """docs/api.md: every export touching a drill list is marked — each JSON line as well as the
    header and file name; the lines still import (the field is ignored)."""
    await api.svc.create_list("gifct", visibility="public", created_by="t")
    await api.svc.create_list("drill", visibility="public", exercise=True, created_by="t")
    await api.svc.add_entry("gifct", "pdq", pdq(1), added_by="t")
    await api.svc.add_entry("drill", "pdq", pdq(2), added_by="t", exercise=True)
    token = await api.key(exercise=True)
    for name, drill in [("drill", True), ("gifct", False)]:
        path = f"/v1/lists/{name}/export?format=jsonl&include_exercise=true"
        status, text, headers = await api.call("GET", path, token)
        assert status == 200 and headers["X-Crisisbot-Drill"] == str(drill).lower()
        lines = text.splitlines()
        assert [json.loads(line)["drill"] for line in lines] == [drill]
        assert [e.value for e in parse_entries(lines, "jsonl")] == [pdq(2 if drill else 1)]


def _schema_check(name: str, value: object) -> None:
    """``value`` is an instance of the OpenAPI document's component schema ``name``."""
    document = openapi_document()
    registry = Registry().with_resource("urn:doc", Resource.from_contents(document, DRAFT202012))
    schema = {"$ref": f"urn:doc#/components/schemas/{name}"}
    OAS31Validator(schema, registry=registry).validate(value)


async def test_keys_json_output_has_the_documented_shapes(tmp_path: Path) -> None:
    """docs/api.md: ``keys create --json`` is the key as /v1/keys shows it plus its token,
    ``keys list --json`` an array of keys, ``keys revoke --json`` the revoked key,
    ``keys audit --json`` an array of records as /v1/audit answers."""
    db = tmp_path / "k.db"
    code, out, _ = await crisisbot(db, "keys", "create", "--platform", "small", "--json")
    created = json.loads(out)
    _schema_check("ApiKey", {k: v for k, v in created.items() if k != "token"})
    assert created["token"].startswith(f"cbk_{created['key_id']}_")
    code, out, _ = await crisisbot(db, "keys", "revoke", created["key_id"], "--json")
    _schema_check("ApiKey", json.loads(out))
    code, out, _ = await crisisbot(db, "keys", "list", "--json")
    _schema_check("Keys", {"keys": json.loads(out)})
    code, out, _ = await crisisbot(db, "keys", "audit", "--limit", "1", "--json")
    _schema_check("Audit", {"records": json.loads(out)})
    assert len(json.loads(out)) == 1
