"""What the fake Discord remembers about the client's behaviour, and the faults it plays back.

Owns the request log (`RecordedRequest`), the change signal tests wait on, and injected faults
(429 rate limits, arbitrary error statuses) keyed by method and route template. Must not import
discord.py; the aiohttp side lives in `rest`.
"""

# Test helpers take a `timeout` like asyncio.wait_for does.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RecordedFile:
    """One file part of a multipart request."""

    field: str
    filename: str
    data: bytes
    content_type: str | None


@dataclass(frozen=True)
class RecordedRequest:
    """One REST call the client made, as received (including ones answered with 429 or errors).

    `route` is the template (`/channels/{channel_id}/messages`), `path` the concrete path, both
    without the `/api/v10` prefix; `params` are the template's values; `json` is the JSON body (or
    the multipart `payload_json`), `files` the uploaded files.
    """

    method: str
    path: str
    route: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: tuple[RecordedFile, ...]
    reason: str | None
    status: int = 0
    response: Any = None

    def matches(self, method: str | None, route: str | None) -> bool:
        return (method is None or self.method == method.upper()) and (
            route is None or self.route == route or self.path == route
        )


class ChangeSignal:
    """Wakes waiters whenever the fake's state changes (a request, an event sent or received),
    and every `poll` seconds, so predicates on the client's own state are seen soon too."""

    poll = 0.005

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(
        self, predicate: Callable[[], T], *, timeout: float, describe: Callable[[], str]
    ) -> T:
        """Return the first truthy `predicate()` result, re-checked after every change."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = self._event
                    result = predicate()
                    if result:
                        return result
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.poll):
                            await event.wait()
        except TimeoutError:
            raise TimeoutError(f"fake Discord: timed out after {timeout}s {describe()}") from None


@dataclass
class InjectedFault:
    """Answer the next `times` matching requests with `status` and `body` (plus `headers`)."""

    method: str
    route: str
    times: int
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def take(self, method: str, route: str, path: str = "") -> bool:
        """Consume one answer for a call to `route` (a template) at `path` (the concrete path)."""
        if self.times <= 0 or self.method != method or self.route not in (route, path):
            return False
        self.times -= 1
        return True


def rate_limit_answer(
    method: str, route: str, *, retry_after: float, is_global: bool, scope: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """Body and headers of a 429 shaped like Discord's: JSON `retry_after`/`global`,
    `X-RateLimit-*` and `Via` headers (discord.py treats a 429 without `Via` as a Cloudflare ban
    and gives up)."""
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Scope": scope,
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    else:
        headers.update(
            {
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Bucket": bucket_hash(method, route),
            }
        )
    body: dict[str, Any] = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
    }
    if is_global:
        body["code"] = 0
    return body, headers


def rate_limit_fault(
    method: str, route: str, *, times: int, retry_after: float, is_global: bool, scope: str
) -> InjectedFault:
    """The next `times` matching calls get a 429 (see `rate_limit_answer`)."""
    body, headers = rate_limit_answer(
        method, route, retry_after=retry_after, is_global=is_global, scope=scope
    )
    return InjectedFault(method.upper(), route, times, 429, body, headers)


def bucket_hash(method: str, route: str) -> str:
    """A stable per-route bucket id, like the opaque hashes Discord sends."""
    return hashlib.blake2s(f"{method} {route}".encode(), digest_size=16).hexdigest()


MAJOR_PARAMETERS = ("channel_id", "guild_id", "interaction_token")


@dataclass
class RouteLimit:
    """Discord-style fixed-window bucket: `limit` calls per `per` seconds for each major parameter
    (channel, guild or interaction token) of one method and route template."""

    method: str
    route: str
    limit: int
    per: float
    clock: Callable[[], float]
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    def applies(self, method: str, route: str) -> bool:
        return self.method == method and self.route == route

    def take(self, params: dict[str, str]) -> tuple[bool, dict[str, str], float]:
        """(allowed, headers, seconds until the window resets) for one call."""
        major = next((params[k] for k in MAJOR_PARAMETERS if k in params), "")
        now = self.clock()
        reset_at, used = self.windows.get(major, (now + self.per, 0))
        if now >= reset_at:
            reset_at, used = now + self.per, 0
        allowed = used < self.limit
        if allowed:
            used += 1
        self.windows[major] = (reset_at, used)
        reset_after = max(reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - used),
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash(self.method, self.route),
        }
        return allowed, headers, reset_after
