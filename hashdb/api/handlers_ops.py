"""Operations endpoints: health, readiness, metrics, OpenAPI document, keys and audit (admin)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hashdb.access import Scope
from hashdb.api.app_keys import ACCESS, HASH_SERVICE, METRICS
from hashdb.api.auth import authorize
from hashdb.api.jsonio import json_response
from hashdb.api.openapi import openapi_document
from hashdb.api.requests import query_int

__all__ = ["audit", "health", "keys", "metrics", "openapi", "ready"]


async def health(request: web.Request) -> web.Response:
    """Liveness: the process answers. No key needed."""
    return json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """Readiness: both stores answer within two seconds. 503 otherwise. No key needed.

    The hash store is asked for new change-log rows (what every match does anyway), a cheap
    query even with millions of entries.
    """
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(2):
            await request.app[ACCESS].store.ping()
            checks["access_store"] = "ok"
            await request.app[HASH_SERVICE].refresh()
            checks["hash_service"] = "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure as not ready
        failed = "hash_service" if "access_store" in checks else "access_store"
        checks[failed] = f"error: {type(exc).__name__}"
        return json_response({"status": "unavailable", "checks": checks}, status=503)
    return json_response({"status": "ready", "checks": checks})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format. No key needed (bind the API to a private interface or proxy it)."""
    index_entries = sum(request.app[HASH_SERVICE].index_sizes().values())
    text = request.app[METRICS].render(index_entries=index_entries)
    return web.Response(
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Prometheus-Format": "0.0.4"},
    )


async def openapi(request: web.Request) -> web.Response:
    return json_response(openapi_document())


async def keys(request: web.Request) -> web.Response:
    """``GET /v1/keys`` (admin): every key with its query count; never a token."""
    await authorize(request, Scope.ADMIN)
    return json_response({"keys": [k.to_dict() for k in await request.app[ACCESS].keys()]})


async def audit(request: web.Request) -> web.Response:
    """``GET /v1/audit?limit=N&actor=A&action=entry.add`` (admin): newest first."""
    await authorize(request, Scope.ADMIN)
    records = await request.app[ACCESS].audit(
        limit=query_int(request, "limit", 100, low=1, high=10_000),
        actor=request.query.get("actor"),
        action=request.query.get("action"),
    )
    return json_response({"records": [r.to_dict() for r in records]})
