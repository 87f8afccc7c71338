"""Check a real response against the OpenAPI document's schema for its path, method and status."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from hashdb.api.openapi import openapi_document

SPEC_URI = "urn:crisisbot:openapi"


@cache
def _spec() -> dict[str, Any]:
    return openapi_document()


@cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, Resource.from_contents(_spec(), DRAFT202012))


def template_for(path: str) -> str:
    plain = path.split("?", 1)[0]
    for template in _spec()["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, plain):
            return template
    raise AssertionError(f"{plain} is not described in the OpenAPI document")


def response_schema(method: str, path: str, status: int) -> dict[str, Any] | None:
    operation = _spec()["paths"][template_for(path)].get(method.lower())
    assert operation is not None, f"{method} {path} is not described in the OpenAPI document"
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {path}: status {status} is not documented"
    if "$ref" in response:
        response = _spec()["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    content = response.get("content", {})
    if "application/json" not in content:
        return None
    return content["application/json"]["schema"]


def check_response(method: str, path: str, status: int, body: Any) -> None:
    """Raise if ``body`` does not match the documented schema (404 for unknown routes excepted)."""
    schema = response_schema(method, path, status)
    if schema is None:
        return
    # component references resolve against the whole document, registered under SPEC_URI
    rooted = {"$ref": SPEC_URI + schema["$ref"]} if "$ref" in schema else schema
    OAS31Validator(rooted, registry=_registry()).validate(body)
