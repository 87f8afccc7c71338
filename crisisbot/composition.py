"""The composition root: the one place that turns settings into open, wired services.

Every entry point gets its services here: each ``crisisbot`` command, ``crisisbot serve`` (the
lookup API), ``crisisbot run`` (the API and the Discord bot). So they all get the same wiring:

- the database from ``database.url`` (a SQLite path or a PostgreSQL DSN) for every store;
- the hash service with the ``hashdb`` section's limits and bad-hash window;
- the protocol library with ``protocols.extra_dirs``, drill scenarios with ``drills.extra_dirs``;
- every write to the hash lists (adds, removals, new lists), whoever makes it (the API, a CLI
  command, ``sync``, a drill, the bot), recorded in the audit log: by the hash store itself, in
  the transaction of the write (``hashdb.audit_log``), so there is nothing to register here.

Click commands, the API's handlers and the bot's cogs receive these services; they never build
them. Each opener is an async context manager that closes what it opened, in reverse order.

Imports the cores, the API and the Discord bot; all but ``hashdb`` only when an opener needs them,
so ``crisisbot hash`` or ``crisisbot hashdb`` pays for neither aiohttp's server, the protocol
engine nor discord.py. Nothing imports this module but the CLI (and tests).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crisisbot.config import ConfigError, Settings, is_sqlite_url, sqlite_path
from hashdb import HashLimits, HashService, system_clock
from hashdb import open_hash_service as _open_hash_service
from hashdb.access import AccessService, AccessStore, open_access_store

if TYPE_CHECKING:
    from aiohttp import web

    from bot.client import CrisisBot
    from hashdb.api import ApiConfig
    from protocols import IncidentService, ProtocolLibrary
    from protocols.drills import ExerciseHashesFactory, ScenarioLibrary

__all__ = [
    "DrillServices",
    "HashDatabase",
    "Services",
    "api_config",
    "database_target",
    "discord_bot",
    "hash_limits",
    "lookup_api",
    "open_access_service",
    "open_drill_services",
    "open_hash_database",
    "open_hash_service",
    "open_incident_service",
    "open_services",
    "protocol_library",
    "scenario_library",
]

Clock = Callable[[], datetime]


# -- settings -> values ------------------------------------------------------------------------
def database_target(settings: Settings) -> str:
    """The ``db`` string the stores open: a SQLite path, or the PostgreSQL DSN as given.

    A SQLite file whose folder does not exist is refused here, once for every store: a mistyped
    path must not become a new empty database (the hash store would create the folders, the
    access store would fail inside aiosqlite and leave a worker thread behind).
    """
    url = settings.database.url
    if not is_sqlite_url(url):
        return url
    path = sqlite_path(url)
    if path != ":memory:":
        folder = Path(path).expanduser().absolute().parent
        if not folder.is_dir():
            raise ConfigError(
                f"database.url: no folder {folder} for the SQLite database {url!r} "
                "(create it first, or fix the path)"
            )
    return path


def hash_limits(settings: Settings) -> HashLimits:
    """The limits that protect hashing from hostile files (the ``hashdb`` section)."""
    cfg = settings.hashdb
    return HashLimits(
        max_file_bytes=cfg.max_file_bytes,
        max_image_pixels=cfg.max_image_pixels,
        video_frame_interval_seconds=cfg.video_frame_interval_seconds,
        video_max_frames=cfg.video_max_frames,
        video_max_seconds=cfg.video_max_seconds,
        video_time_limit_seconds=cfg.video_time_limit_seconds,
        video_max_file_bytes=cfg.video_max_file_bytes,
        max_concurrent_videos=cfg.max_concurrent_videos,
        max_decode_bytes=cfg.max_decode_bytes,
        max_concurrent_decodes=cfg.max_concurrent_decodes,
    )


def api_config(settings: Settings) -> ApiConfig:
    """The API's limits from the ``api`` section: every field the two share by name."""
    from hashdb.api import ApiConfig

    shared = {f.name for f in dataclasses.fields(ApiConfig)}
    return ApiConfig(**{k: v for k, v in vars(settings.api).items() if k in shared})


def protocol_library(settings: Settings, *, skip_invalid: bool = False) -> ProtocolLibrary:
    """Shipped protocols plus ``protocols.extra_dirs``. With ``skip_invalid`` a broken file is
    left out (listed in ``library.problems``) instead of raising."""
    from protocols import ProtocolLibrary

    return ProtocolLibrary(settings.protocols.extra_dirs, skip_invalid=skip_invalid)


def scenario_library(settings: Settings, library: ProtocolLibrary) -> ScenarioLibrary:
    """Shipped drill scenarios plus ``drills.extra_dirs``, checked against ``library``."""
    from protocols.drills import ScenarioLibrary

    return ScenarioLibrary(library, settings.drills.extra_dirs)


# -- openers -----------------------------------------------------------------------------------
def _open_access_store(settings: Settings) -> AbstractAsyncContextManager[AccessStore]:
    return open_access_store(database_target(settings))


@asynccontextmanager
async def open_hash_service(
    settings: Settings, *, clock: Clock = system_clock
) -> AsyncIterator[HashService]:
    """The hash service on the configured database, with the ``hashdb`` limits and bad-hash
    settings (its writes are audited by its store)."""
    async with _open_hash_service(
        database_target(settings),
        limits=hash_limits(settings),
        clock=clock,
        bad_hash_min_sources=settings.hashdb.bad_hash_min_sources,
    ) as hashes:
        yield hashes


@dataclass(frozen=True)
class HashDatabase:
    """The hash service and the access store (keys, audit log, sync cursors) of one database."""

    hashes: HashService
    access_store: AccessStore


@asynccontextmanager
async def open_hash_database(
    settings: Settings, *, clock: Clock = system_clock
) -> AsyncIterator[HashDatabase]:
    """What the lookup API and ``sync`` use: both stores open on the one database."""
    async with (
        _open_access_store(settings) as access_store,
        open_hash_service(settings, clock=clock) as hashes,
    ):
        yield HashDatabase(hashes=hashes, access_store=access_store)


@asynccontextmanager
async def open_access_service(
    settings: Settings, *, clock: Clock = system_clock
) -> AsyncIterator[AccessService]:
    """API keys and the audit log (``crisisbot keys``)."""
    async with _open_access_store(settings) as store:
        yield AccessService(store, clock=clock)


@asynccontextmanager
async def open_incident_service(
    settings: Settings, *, library: ProtocolLibrary, clock: Clock = system_clock
) -> AsyncIterator[IncidentService]:
    """The incident engine on the configured database, with ``library`` for new incidents."""
    from protocols import open_incident_service as _open_incident_service

    async with _open_incident_service(
        database_target(settings), library=library, clock=clock
    ) as incidents:
        yield incidents


@dataclass(frozen=True)
class DrillServices:
    """What a drill run is wired to: the incident engine and its exercise-only hash lists."""

    incidents: IncidentService
    exercise_hashes: ExerciseHashesFactory


@asynccontextmanager
async def open_drill_services(
    settings: Settings, *, library: ProtocolLibrary, clock: Clock
) -> AsyncIterator[DrillServices]:
    """``crisisbot drill run``: both services read the drill's clock (virtual time)."""
    from crisisbot.drill_hashes import exercise_hashes_over

    async with (
        open_incident_service(settings, library=library, clock=clock) as incidents,
        open_hash_service(settings, clock=clock) as hashes,
    ):
        yield DrillServices(incidents=incidents, exercise_hashes=exercise_hashes_over(hashes))


@dataclass(frozen=True)
class Services:
    """Everything ``crisisbot run`` serves from, all on one database."""

    settings: Settings
    clock: Clock
    library: ProtocolLibrary
    incidents: IncidentService
    hashes: HashService
    access_store: AccessStore
    exercise_hashes: ExerciseHashesFactory


@asynccontextmanager
async def open_services(
    settings: Settings, *, clock: Clock = system_clock
) -> AsyncIterator[Services]:
    """The protocol library, the incident service, the hash database."""
    from crisisbot.drill_hashes import exercise_hashes_over

    library = protocol_library(settings)
    async with (
        open_hash_database(settings, clock=clock) as database,
        open_incident_service(settings, library=library, clock=clock) as incidents,
    ):
        yield Services(
            settings=settings,
            clock=clock,
            library=library,
            incidents=incidents,
            hashes=database.hashes,
            access_store=database.access_store,
            exercise_hashes=exercise_hashes_over(database.hashes),
        )


# -- adapters over open services ---------------------------------------------------------------
def lookup_api(
    settings: Settings, hashes: HashService, access_store: AccessStore, clock: Clock
) -> web.Application:
    """The lookup API (an aiohttp app, not yet listening) over open services."""
    from hashdb.api import create_app

    return create_app(
        hash_service=hashes, access_store=access_store, settings=api_config(settings), clock=clock
    )


def discord_bot(services: Services) -> CrisisBot:
    """The Discord bot over ``services`` (not yet logged in), with the drill scenarios, pointed
    at the configured Discord-compatible endpoints."""
    from bot.client import CrisisBot, use_discord_endpoints

    discord = services.settings.discord
    use_discord_endpoints(discord.api_base_url, discord.gateway_url)
    return CrisisBot(
        settings=discord,
        incidents=services.incidents,
        hashes=services.hashes,
        exercise_hashes=services.exercise_hashes,
        library=services.library,
        scenarios=scenario_library(services.settings, services.library),
        clock=services.clock,
        timezone=services.settings.protocols.timezone,
    )
