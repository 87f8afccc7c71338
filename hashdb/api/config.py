"""The API's own settings, independent of crisisbot's config file (the wiring copies them in)."""

from __future__ import annotations

from dataclasses import dataclass

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
