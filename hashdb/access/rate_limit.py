"""Token-bucket rate limiting, per API key (requests) or per client address (failed logins).

Each key gets a bucket of ``burst`` tokens refilled at ``per_minute / 60`` tokens a second; a
request costs one token (a batch costs one per hash divided by ``batch_cost_divisor``, so batching
is cheaper per hash but never free). When the bucket is empty the caller learns how many seconds
until enough tokens are back, which the HTTP adapter sends as ``Retry-After``.

Time comes from the injected clock, so tests can move it. Buckets live in memory: a restart
forgives everyone, which is acceptable for a limit meant to stop floods, not to bill. A bucket
that has refilled completely says nothing a new one would not, so full buckets are dropped
whenever the table has doubled since the last sweep: the table stays proportional to the
clients active within one refill time, however many addresses come and go.
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


_MIN_SWEEP = 1024


class RateLimiter:
    """Token buckets keyed by a string: an API key id, or a client address."""

    def __init__(self, *, per_minute: int, burst: int, clock: Callable[[], datetime]) -> None:
        if per_minute <= 0 or burst <= 0:
            raise ValueError("rate limits must be positive")
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._sweep_at = _MIN_SWEEP

    def _refilled(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._sweep_at:
                self._drop_full_buckets(now)
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        elapsed = max(0.0, (now - bucket.updated).total_seconds())
        bucket.tokens = min(self._burst, bucket.tokens + elapsed * self._rate)
        bucket.updated = now
        return bucket

    def _drop_full_buckets(self, now: datetime) -> None:
        self._buckets = {
            key: bucket
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated).total_seconds() * self._rate < self._burst
        }
        self._sweep_at = max(_MIN_SWEEP, 2 * len(self._buckets))

    def check(self, key_id: str, cost: float = 1.0) -> RateDecision:
        """Take ``cost`` tokens from the key's bucket if it has them."""
        bucket = self._refilled(key_id)
        cost = min(cost, self._burst)  # a request larger than the burst waits for a full bucket
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return RateDecision(True, 0, bucket.tokens)
        return RateDecision(False, self._seconds_until(bucket, cost), bucket.tokens)

    def wait(self, key: str, cost: float = 1.0) -> int:
        """Seconds until ``key``'s bucket holds ``cost`` tokens (0: now); takes none."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0
        bucket = self._refilled(key)
        cost = min(cost, self._burst)
        return 0 if bucket.tokens >= cost else self._seconds_until(bucket, cost)

    def _seconds_until(self, bucket: _Bucket, cost: float) -> int:
        return max(1, math.ceil((cost - bucket.tokens) / self._rate))

    def __len__(self) -> int:
        """How many buckets are kept (full ones may be among them until the next sweep)."""
        return len(self._buckets)

    def forget(self, key_id: str) -> None:
        self._buckets.pop(key_id, None)
