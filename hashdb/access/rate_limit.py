"""Per-key token-bucket rate limiting.

Each key gets a bucket of ``burst`` tokens refilled at ``per_minute / 60`` tokens a second; a
request costs one token (a batch costs one per hash divided by ``batch_cost_divisor``, so batching
is cheaper per hash but never free). When the bucket is empty the caller learns how many seconds
until enough tokens are back, which the HTTP adapter sends as ``Retry-After``.

Time comes from the injected clock, so tests can move it. Buckets live in memory: a restart
forgives everyone, which is acceptable for a limit meant to stop floods, not to bill.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["RateDecision", "RateLimiter"]


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int = 0
    remaining: float = 0.0


@dataclass
class _Bucket:
    tokens: float
    updated: datetime


class RateLimiter:
    """Token buckets keyed by API key id."""

    def __init__(self, *, per_minute: int, burst: int, clock: Callable[[], datetime]) -> None:
        if per_minute <= 0 or burst <= 0:
            raise ValueError("rate limits must be positive")
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def check(self, key_id: str, cost: float = 1.0) -> RateDecision:
        """Take ``cost`` tokens from the key's bucket if it has them."""
        now = self._clock()
        bucket = self._buckets.get(key_id)
        if bucket is None:
            bucket = self._buckets[key_id] = _Bucket(self._burst, now)
        elapsed = max(0.0, (now - bucket.updated).total_seconds())
        bucket.tokens = min(self._burst, bucket.tokens + elapsed * self._rate)
        bucket.updated = now
        cost = min(cost, self._burst)  # a request larger than the burst waits for a full bucket
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return RateDecision(True, 0, bucket.tokens)
        wait = (cost - bucket.tokens) / self._rate
        return RateDecision(False, max(1, math.ceil(wait)), bucket.tokens)

    def forget(self, key_id: str) -> None:
        self._buckets.pop(key_id, None)
