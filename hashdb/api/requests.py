"""Parsing request bodies, query strings and path segments into plain values, with errors that
name the field.

Every integer the API reads from a URL (``/v1/entries/{entry_id}``, ``?since=``, ``?after=``,
``?limit=``) goes through :func:`decimal`: ASCII digits only, at most 19 of them. Why not
``int()`` or ``str.isdigit()``: both accept other Unicode digits (``int("١")`` is 1, so
``/v1/entries/١`` answered entry 1, and ``"²".isdigit()`` is true but ``int("²")`` raises), and
``int()`` also takes ``" 7"``, ``"+7"`` and ``"1_000"``; a number past the 64-bit range of the
databases' ids made the store raise ``OverflowError`` (a 500).
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from hashdb.api.errors import BatchTooLarge, RequestInvalid
from hashdb.api.jsonio import JSONDecodeError, loads
from hashdb.records import MAX_ROW_ID

__all__ = [
    "decimal",
    "json_body",
    "object_list",
    "optional_bool",
    "optional_str",
    "query_int",
    "required_str",
    "string_list",
]
_DECIMAL = re.compile(r"-?[0-9]{1,19}")


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


def optional_bool(obj: dict[str, Any], field: str, default: bool, where: str = "") -> bool:
    value = obj.get(field, default)
    if not isinstance(value, bool):
        raise RequestInvalid(f"{where}{field} must be true or false")
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


def decimal(raw: str, *, low: int = 0, high: int = MAX_ROW_ID) -> int | None:
    """The integer ``raw`` spells in ASCII decimal digits (an optional leading ``-``), if it lies
    in ``low..high``; None for anything else, so each caller raises its own error (a 404 for a
    path id, a 400 naming the parameter for a query value)."""
    if _DECIMAL.fullmatch(raw) is None:
        return None
    value = int(raw)
    return value if low <= value <= high else None


def query_int(request: web.Request, name: str, default: int, *, low: int, high: int) -> int:
    """``?name=`` as an integer in ``low..high`` (``default`` when absent); 400 otherwise."""
    raw = request.query.get(name)
    if raw is None:
        return default
    value = decimal(raw, low=low, high=high)
    if value is None:
        raise RequestInvalid(f"{name} must be an integer from {low} to {high}, got {raw[:40]!r}")
    return value
