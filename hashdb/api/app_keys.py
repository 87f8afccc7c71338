"""Typed application keys: what the app factory puts into the aiohttp application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from hashdb import HashService
from hashdb.access import AccessService
from hashdb.api.client_address import ClientAddresses
from hashdb.api.config import ApiConfig
from hashdb.api.lists import ListDirectory
from hashdb.api.lookup_coalescer import LookupCoalescer
from hashdb.api.metrics import ApiMetrics

__all__ = [
    "ACCESS",
    "CLIENTS",
    "CLOCK",
    "COALESCER",
    "CONFIG",
    "HASH_SERVICE",
    "LISTS",
    "METRICS",
]

HASH_SERVICE = web.AppKey("hash_service", HashService)
ACCESS = web.AppKey("access", AccessService)
CLIENTS = web.AppKey("clients", ClientAddresses)
CONFIG = web.AppKey("config", ApiConfig)
METRICS = web.AppKey("metrics", ApiMetrics)
LISTS = web.AppKey("lists", ListDirectory)
COALESCER = web.AppKey("coalescer", LookupCoalescer)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
