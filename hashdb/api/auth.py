"""Request authentication: the key from the headers, its scope, its rate limit; failures are
throttled per client address (:class:`hashdb.api.client_address.ClientAddresses`).

``Authorization: Bearer KEY`` is the documented header; ``X-API-Key: KEY`` is accepted too, because
many upload pipelines can set a header but not an auth scheme.
"""

from __future__ import annotations

from aiohttp import web

from hashdb.access import ApiKey, Scope, check_exercise_request, require_scope
from hashdb.api.app_keys import ACCESS, CLIENTS
from hashdb.api.errors import RequestInvalid

__all__ = ["authorize", "flag", "include_exercise", "token_from"]


def token_from(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-API-Key") or None


async def authorize(
    request: web.Request, scope: Scope, *, cost: float = 1.0, queries: int = 0
) -> ApiKey:
    """The request's key, checked for ``scope`` and charged ``cost`` rate-limit tokens."""
    access = request.app[ACCESS]
    key = await access.authenticate(token_from(request), client=request.app[CLIENTS].of(request))
    access.admit(key, cost=cost, queries=queries)
    require_scope(key, scope)
    return key


def flag(request: web.Request, name: str) -> bool:
    raw = request.query.get(name, "false").lower()
    if raw not in {"true", "false", "1", "0"}:
        raise RequestInvalid(f"{name} must be true or false, got {raw!r}")
    return raw in {"true", "1"}


def include_exercise(request: web.Request, key: ApiKey) -> bool:
    """``?include_exercise=true`` asks for drill lists; only exercise keys may ask."""
    return check_exercise_request(key, flag(request, "include_exercise"))
