"""The application factory: every route, the middlewares, the typed app keys, the cleanup context.

``create_app`` takes its seams (hash service, access store, settings, clock) and opens nothing
itself, so the same app runs under ``crisisbot serve``, inside ``crisisbot run`` next to the bot,
and in tests on loopback. The one background job, flushing per-key query counts, is started and
stopped by ``cleanup_ctx``. Writes need nothing here to be audited: the hash store records
each in its own transaction (``hashdb.audit_log``), whichever entry point made it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from hashdb import HashService
from hashdb.access import AccessService, AccessStore, RateLimits
from hashdb.api import handlers_feed, handlers_lists, handlers_match, handlers_ops
from hashdb.api.app_keys import (
    ACCESS,
    CLIENTS,
    CLOCK,
    COALESCER,
    CONFIG,
    HASH_SERVICE,
    LISTS,
    METRICS,
)
from hashdb.api.client_address import ClientAddresses
from hashdb.api.config import ApiConfig
from hashdb.api.export import export_list
from hashdb.api.lists import ListDirectory
from hashdb.api.lookup_coalescer import LookupCoalescer
from hashdb.api.metrics import ApiMetrics
from hashdb.api.middleware import error_middleware, metrics_middleware, response_headers

__all__ = ["create_app", "ROUTES"]

#: (method, path, handler): the whole HTTP surface, mirrored by the OpenAPI document.
ROUTES: list[tuple[str, str, Callable[[web.Request], Any]]] = [
    ("GET", "/v1/health", handlers_ops.health),
    ("GET", "/v1/ready", handlers_ops.ready),
    ("GET", "/metrics", handlers_ops.metrics),
    ("GET", "/v1/openapi.json", handlers_ops.openapi),
    ("GET", "/v1/match", handlers_match.match_one),
    ("POST", "/v1/match", handlers_match.match_batch),
    ("POST", "/v1/match/upload", handlers_match.match_upload),
    ("GET", "/v1/lists", handlers_lists.lists),
    ("POST", "/v1/lists", handlers_lists.create_list),
    ("GET", "/v1/lists/{name}", handlers_lists.get_list),
    ("GET", "/v1/lists/{name}/entries", handlers_lists.list_entries),
    ("POST", "/v1/lists/{name}/entries", handlers_lists.add_entries),
    ("GET", "/v1/lists/{name}/export", export_list),
    ("GET", "/v1/entries/{entry_id}", handlers_lists.get_entry),
    ("DELETE", "/v1/entries/{entry_id}", handlers_lists.remove_entry),
    ("POST", "/v1/entries/{entry_id}/feedback", handlers_match.feedback),
    ("GET", "/v1/changes", handlers_feed.changes),
    ("GET", "/v1/keys", handlers_ops.keys),
    ("GET", "/v1/audit", handlers_ops.audit),
    ("GET", "/m/lookup", handlers_feed.hma_lookup),
]


async def _background_jobs(app: web.Application) -> AsyncIterator[None]:
    """Flush per-key query counts every ``usage_flush_seconds`` and once more at shutdown;
    stop the list directory's background refresh."""
    access = app[ACCESS]

    async def loop() -> None:
        while True:
            await asyncio.sleep(app[CONFIG].usage_flush_seconds)
            await access.flush_usage()

    task = asyncio.create_task(loop(), name="api-usage-flush")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await app[LISTS].close()
    await app[COALESCER].close()
    await access.flush_usage()


def create_app(
    *,
    hash_service: HashService,
    access_store: AccessStore,
    settings: ApiConfig | None = None,
    clock: Callable[[], datetime],
) -> web.Application:
    """The lookup API as an aiohttp application (not yet listening; see :func:`serve_api`).

    ``hash_service`` is an open :class:`hashdb.HashService`, ``access_store`` an open
    :class:`hashdb.access.AccessStore`; the caller owns both and closes them after the app, and
    has the service's writes audited (``crisisbot.composition`` does both).
    """
    settings = settings or ApiConfig()
    app = web.Application(
        middlewares=[metrics_middleware, error_middleware],
        client_max_size=settings.max_json_bytes,
    )
    app[HASH_SERVICE] = hash_service
    app[CONFIG] = settings
    app[CLIENTS] = ClientAddresses(settings.trusted_proxies)
    app[CLOCK] = clock
    app[METRICS] = ApiMetrics()
    app[ACCESS] = AccessService(
        access_store,
        clock=clock,
        rate_limits=RateLimits(settings.rate_limit_per_minute, settings.rate_limit_burst),
        auth_failure_limits=RateLimits(
            settings.auth_failures_per_minute, settings.auth_failure_burst
        ),
        key_cache_seconds=settings.key_cache_seconds,
    )
    app[COALESCER] = LookupCoalescer(hash_service, max_batch=settings.max_batch)
    app[LISTS] = ListDirectory(hash_service, clock=clock, cache_seconds=settings.list_cache_seconds)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    app.on_response_prepare.append(response_headers)
    app.cleanup_ctx.append(_background_jobs)
    return app
