"""The API's own settings, independent of crisisbot's config file (the wiring copies them in)."""

from __future__ import annotations

from dataclasses import dataclass

from hashdb.access.service import AUTH_FAILURE_LIMITS

__all__ = ["ApiConfig"]


@dataclass(frozen=True)
class ApiConfig:
    """Limits of the lookup API.

    ``max_batch``: hashes per match request or entries per batch add. ``max_upload_bytes``: the
    largest file accepted by ``/v1/match/upload`` (streamed; 413 beyond it). ``max_json_bytes``:
    the largest JSON body. ``rate_limit_per_minute``/``rate_limit_burst``: each key's token bucket;
    a batch of N hashes costs ``1 + N / batch_cost_divisor`` tokens. ``key_cache_seconds``: how long
    a verified key is trusted before the store is asked again (bounds how late a revocation made
    by another process takes effect). ``list_cache_seconds``: how often list metadata is re-read in
    the background (a list created by another process is served after at most this long; reading
    it counts every list's entries, about 2 s with 1,000,000 entries on SQLite, during which the
    database answers nothing else, hence the long default). ``coalesce_lookups``: concurrent
    single-hash lookups are matched together in one batch (:mod:`hashdb.api.lookup_coalescer`).
    ``auth_failures_per_minute``/``auth_failure_burst``: failed authentications allowed per client
    address (a token bucket: that many at once, then that rate); beyond it, every request from
    the address is 429 ``auth_throttled`` with ``Retry-After``, a good key included.
    ``trusted_proxies``: addresses or networks of reverse proxies in front of the API; for a
    request from one of them the client address is the last ``X-Forwarded-For`` hop that is not
    a trusted proxy (without it, every client behind a proxy would share the proxy's bucket).
    """

    max_batch: int = 1000
    max_upload_bytes: int = 50 * 1024 * 1024
    max_json_bytes: int = 4 * 1024 * 1024
    rate_limit_per_minute: int = 6000
    rate_limit_burst: int = 600
    batch_cost_divisor: int = 100
    key_cache_seconds: float = 5.0
    list_cache_seconds: float = 60.0
    changes_max_limit: int = 5000
    usage_flush_seconds: float = 10.0
    coalesce_lookups: bool = True
    auth_failures_per_minute: int = AUTH_FAILURE_LIMITS.per_minute
    auth_failure_burst: int = AUTH_FAILURE_LIMITS.burst
    trusted_proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # the config file gives a list; the frozen settings keep a tuple
        object.__setattr__(self, "trusted_proxies", tuple(self.trusted_proxies))
