"""The HTTP lookup API for smaller platforms (adapter over :mod:`hashdb` and :mod:`hashdb.access`).

Public surface::

    create_app(*, hash_service, access_store, settings: ApiConfig | None, clock) -> web.Application
    await serve_api(app, host, port) -> web.AppRunner       # runner.cleanup() stops it
    ApiConfig                                                # limits: batch, upload, rate

The delta-feed client is :func:`hashdb.api.sync_client.sync_from` (``crisisbot sync``).

This package may import ``aiohttp.web``; the core packages may not.
"""

from __future__ import annotations

from hashdb.api.app import create_app
from hashdb.api.config import ApiConfig
from hashdb.api.server import serve_api

__all__ = ["ApiConfig", "create_app", "serve_api"]
