"""The access service: authenticate tokens, issue and revoke keys, rate-limit, count, audit.

Why a service over the store: the rules (a revoked key is refused, a key change is audited in the
same transaction, query counts are batched in memory and flushed, verified keys are cached for
``key_cache_seconds``) are the same for the HTTP API and the CLI, and testable without either.

The key cache trades a bounded delay for speed: a key revoked from *another* process (the CLI) is
refused at most ``key_cache_seconds`` later; a key revoked through this service is refused at once.

Failed authentications are throttled per client (an address the adapter names): each failure
takes a token from the client's bucket (``auth_failure_limits``), and a client with an empty
bucket is refused before its token is even parsed, whatever it sends, until the bucket refills.
Why refuse the good keys too: answering a right guess differently from a wrong one would let a
guesser go on at full speed; and every unknown key id costs a store lookup, so a flood of made-up
keys is also a flood of queries. Successful authentications cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hashdb.access.api_keys import (
    ApiKey,
    IssuedKey,
    Scope,
    hash_token,
    mint_token,
    parse_token,
    token_matches,
    valid_platform,
)
from hashdb.access.audit import AuditAction, AuditRecord
from hashdb.access.errors import (
    InvalidKeyRequest,
    KeyNotFound,
    NotAuthenticated,
    RateLimited,
    TooManyFailedAuthentications,
)
from hashdb.access.rate_limit import RateLimiter
from hashdb.access.store import AccessStore
from hashdb.write_events import WriteEvent

__all__ = ["AUTH_FAILURE_LIMITS", "AccessService", "RateLimits"]


@dataclass(frozen=True)
class RateLimits:
    per_minute: int = 6000
    burst: int = 600


#: failed authentications per client address: 20 at once, then one a second
AUTH_FAILURE_LIMITS = RateLimits(per_minute=60, burst=20)


@dataclass
class _CachedKey:
    key: ApiKey
    token_hash: str
    checked_at: datetime


class AccessService:
    def __init__(
        self,
        store: AccessStore,
        *,
        clock: Callable[[], datetime],
        rate_limits: RateLimits | None = None,
        auth_failure_limits: RateLimits = AUTH_FAILURE_LIMITS,
        key_cache_seconds: float = 5.0,
    ) -> None:
        limits = rate_limits or RateLimits()
        self.store = store
        self._clock = clock
        self._limiter = RateLimiter(per_minute=limits.per_minute, burst=limits.burst, clock=clock)
        self._failures = RateLimiter(
            per_minute=auth_failure_limits.per_minute,
            burst=auth_failure_limits.burst,
            clock=clock,
        )
        self._cache_seconds = key_cache_seconds
        self._cache: dict[str, _CachedKey] = {}
        self._usage: dict[str, tuple[int, datetime]] = {}

    # -- keys ---------------------------------------------------------------------------------

    async def issue_key(
        self, *, platform: str, scope: Scope | str, created_by: str, exercise: bool = False
    ) -> IssuedKey:
        if not valid_platform(platform):
            raise InvalidKeyRequest(
                f"invalid platform name {platform!r}: use letters, digits, '.', '_' or '-'"
            )
        try:
            scope = Scope(scope)
        except ValueError:
            raise InvalidKeyRequest(
                f"unknown scope {scope!r} (known: query, contribute, admin)"
            ) from None
        key_id, token = mint_token()
        key = ApiKey(
            key_id=key_id,
            platform=platform,
            scope=scope,
            exercise=exercise,
            created_at=self._clock(),
            created_by=created_by,
        )
        audit = AuditRecord(
            at=key.created_at,
            actor=created_by,
            action=AuditAction.KEY_CREATE,
            target=f"key:{key_id}",
            detail={"platform": platform, "scope": scope.value, "exercise": exercise},
        )
        await self.store.create_key(key, hash_token(token), audit)
        return IssuedKey(key, token)

    async def revoke_key(self, key_id: str, *, revoked_by: str) -> ApiKey:
        at = self._clock()
        audit = AuditRecord(
            at=at, actor=revoked_by, action=AuditAction.KEY_REVOKE, target=f"key:{key_id}"
        )
        key = await self.store.revoke_key(key_id, at, revoked_by, audit)
        if key is None:
            raise KeyNotFound(f"no API key with id {key_id!r}")
        self._cache.pop(key_id, None)
        self._limiter.forget(key_id)
        return key

    async def keys(self) -> list[ApiKey]:
        await self.flush_usage()
        return await self.store.keys()

    async def authenticate(self, token: str | None, *, client: str | None = None) -> ApiKey:
        """The active key for ``token``; :class:`NotAuthenticated` otherwise.

        ``client`` (the caller's address) is charged for a failure, and refused with
        :class:`TooManyFailedAuthentications` while it has failed too often (see the module
        docstring); None (the CLI, tests) is never throttled.
        """
        if client is None:
            return await self._authenticate(token)
        wait = self._failures.wait(client)
        if wait:
            raise TooManyFailedAuthentications(
                f"too many failed authentications from {client}; retry in {wait} s",
                retry_after=wait,
            )
        try:
            return await self._authenticate(token)
        except NotAuthenticated:
            self._failures.check(client)
            raise

    async def _authenticate(self, token: str | None) -> ApiKey:
        if not token:
            raise NotAuthenticated(
                "an API key is required: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
            )
        key_id = parse_token(token)
        if key_id is None:
            raise NotAuthenticated("malformed API key")
        now = self._clock()
        cached = self._cache.get(key_id)
        if cached is None or (now - cached.checked_at).total_seconds() >= self._cache_seconds:
            found = await self.store.find_key(key_id)
            if found is None:
                self._cache.pop(key_id, None)
                raise NotAuthenticated("unknown API key")
            cached = _CachedKey(found[0], found[1], now)
            if self._cache_seconds > 0:
                self._cache[key_id] = cached
        if not token_matches(token, cached.token_hash):
            raise NotAuthenticated("unknown API key")
        if not cached.key.active:
            raise NotAuthenticated("this API key has been revoked")
        return cached.key

    # -- rate limits and usage ---------------------------------------------------------------

    def admit(self, key: ApiKey, *, cost: float = 1.0, queries: int = 0) -> None:
        """Charge the key's bucket; count ``queries`` hashes looked up. Raises RateLimited."""
        decision = self._limiter.check(key.key_id, cost)
        if not decision.allowed:
            raise RateLimited(
                f"rate limit exceeded for key {key.key_id};"
                f" retry in {decision.retry_after_seconds} s",
                retry_after=decision.retry_after_seconds,
            )
        if queries:
            count, _ = self._usage.get(key.key_id, (0, self._clock()))
            self._usage[key.key_id] = (count + queries, self._clock())

    async def flush_usage(self) -> None:
        usage, self._usage = self._usage, {}
        await self.store.add_usage(usage)

    # -- audit -------------------------------------------------------------------------------

    async def record(
        self, actor: str, action: str, target: str, detail: dict[str, Any] | None = None
    ) -> None:
        """Audit one action (``record_writes`` for a batch)."""
        await self.record_writes([WriteEvent(action, actor, target, detail or {})])

    async def record_writes(self, events: Sequence[WriteEvent]) -> None:
        """Audit actions in a transaction of their own. Not for hash-list writes: the hash
        store audits those in the write's own transaction (``hashdb.audit_log``), and
        registering this as a write observer would record each of them twice."""
        at = self._clock()
        await self.store.append_audit(
            [AuditRecord(at=at, actor=e.actor, action=e.action, target=e.target,
                         detail=dict(e.detail)) for e in events]
        )  # fmt: skip

    async def audit(self, **filters: Any) -> list[AuditRecord]:
        return await self.store.audit(**filters)
