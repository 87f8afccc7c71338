"""Parsing request bodies and query strings into plain values, with errors that name the field."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hashdb.api.errors import BatchTooLarge, RequestInvalid
from hashdb.api.jsonio import JSONDecodeError, loads

__all__ = ["json_body", "optional_str", "query_int", "required_str", "string_list"]


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = loads(await request.read())
    except JSONDecodeError:
        raise RequestInvalid("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise RequestInvalid("the request body must be a JSON object")
    return body


def required_str(obj: dict[str, Any], field: str, where: str = "") -> str:
    value = obj.get(field)
    if not isinstance(value, str) or not value.strip():
        raise RequestInvalid(f"{where}{field} is required and must be a non-empty string")
    return value.strip()


def optional_str(obj: dict[str, Any], field: str, where: str = "") -> str | None:
    value = obj.get(field)
    if value is not None and not isinstance(value, str):
        raise RequestInvalid(f"{where}{field} must be a string")
    return value


def string_list(obj: dict[str, Any], field: str, where: str = "") -> list[str]:
    value = obj.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RequestInvalid(f"{where}{field} must be a list of strings")
    return value


def object_list(obj: dict[str, Any], field: str, max_items: int) -> list[dict[str, Any]]:
    items = obj.get(field)
    if not isinstance(items, list) or not items:
        raise RequestInvalid(f"{field} must be a non-empty list")
    if len(items) > max_items:
        raise BatchTooLarge(
            f"{len(items)} items in {field}; the maximum per request is {max_items}"
        )
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise RequestInvalid(f"{field}[{i}] must be an object")
    return items


def query_int(request: web.Request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RequestInvalid(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise RequestInvalid(f"{name} must be between {low} and {high}, got {value}")
    return value
