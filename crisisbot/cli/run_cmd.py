"""``crisisbot run``: the Discord bot and the lookup API in one process (the main job).

Composition root for the long-running service: opens the database-backed services once, hands
them to the API app and to the bot, and closes them in reverse order on SIGINT/SIGTERM. Without
``DISCORD_TOKEN`` it says so on stderr and serves the API alone, so a platform-facing lookup
service can run before the Discord side is set up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import click

from crisisbot.cli.common import run_async, state
from crisisbot.cli.hashdb_cmd import database_target, hash_limits
from crisisbot.config import Settings
from crisisbot.drill_hashes import exercise_hashes_over
from hashdb import HashService, open_hash_service, system_clock
from hashdb.access import AccessStore, open_access_store
from hashdb.api import ApiConfig, create_app, serve_api
from protocols import IncidentService, ProtocolLibrary, open_incident_service

__all__ = [
    "Services",
    "api_config",
    "command",
    "open_services",
    "run_until_signal",
    "serve",
    "serve_until_signal",
]

log = logging.getLogger(__name__)

NO_TOKEN_MESSAGE = (
    "DISCORD_TOKEN is not set: the Discord bot is not started; serving the lookup API only. "
    "Set DISCORD_TOKEN (see README, 'Discord bot') to run the bot as well."
)


@dataclass
class Services:
    incidents: IncidentService
    hashes: HashService
    access: AccessStore
    library: ProtocolLibrary


def api_config(settings: Settings) -> ApiConfig:
    """The API's limits from the ``api`` section: every field the two share by name."""
    shared = {f.name for f in dataclasses.fields(ApiConfig)}
    return ApiConfig(**{k: v for k, v in vars(settings.api).items() if k in shared})


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings, clock: Callable[[], datetime]
) -> AsyncIterator[Services]:
    """Open the protocol library, the incident, hash and API-key services on one database."""
    db = database_target(settings)
    library = ProtocolLibrary(settings.protocols.extra_dirs)
    async with (
        open_hash_service(
            db,
            limits=hash_limits(settings),
            clock=clock,
            bad_hash_window=settings.hashdb.bad_hash_window,
            bad_hash_share=settings.hashdb.bad_hash_share,
        ) as hashes,
        open_incident_service(db, library=library, clock=clock) as incidents,
        open_access_store(db) as access,
    ):
        yield Services(incidents=incidents, hashes=hashes, access=access, library=library)


async def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = system_clock,
) -> None:
    """Run until ``stop`` is set: the API always, the bot when a token is configured."""
    from bot.client import CrisisBot, use_discord_endpoints

    async with open_services(settings, clock) as services:
        app = create_app(
            hash_service=services.hashes,
            access_store=services.access,
            settings=api_config(settings),
            clock=clock,
        )
        runner = await serve_api(app, host, port, tune_gc=True)
        log.info("lookup API listening on http://%s:%s", host, port)
        bot: CrisisBot | None = None
        bot_task: asyncio.Task[None] | None = None
        try:
            if settings.discord.token:
                use_discord_endpoints(settings.discord.api_base_url, settings.discord.gateway_url)
                bot = CrisisBot(
                    settings=settings.discord,
                    incidents=services.incidents,
                    hashes=services.hashes,
                    exercise_hashes=exercise_hashes_over(services.hashes),
                    library=services.library,
                    clock=clock,
                    timezone=settings.protocols.timezone,
                    drill_dirs=settings.drills.extra_dirs,
                )
                bot_task = asyncio.create_task(bot.start(settings.discord.token), name="bot")
            else:
                print(NO_TOKEN_MESSAGE, file=sys.stderr, flush=True)
            stop_task = asyncio.create_task(stop.wait())
            waiting = {stop_task} | ({bot_task} if bot_task else set())
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            stop_task.cancel()
            if bot_task in done and bot_task is not None:
                _raise_bot_failure(bot_task)  # a bot that died stops the process, clearly
        finally:
            if bot is not None:
                await bot.close()
            if bot_task is not None:  # its failure, if any, was reported above
                await asyncio.gather(bot_task, return_exceptions=True)
            await runner.cleanup()


def _raise_bot_failure(bot_task: asyncio.Task[None]) -> None:
    """Turn the ways the Discord client stops into one clear ``Error: ...`` (exit status 1)."""
    import aiohttp
    import discord

    try:
        bot_task.result()
    except discord.LoginFailure as error:
        raise click.ClickException(f"Discord refused DISCORD_TOKEN: {error}") from None
    except (discord.DiscordException, aiohttp.ClientError, OSError) as error:
        raise click.ClickException(
            f"the Discord bot stopped: {error or type(error).__name__} (check DISCORD_TOKEN and, "
            "if set, DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL)"
        ) from None


async def run_until_signal(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``main(stop)``; SIGINT or SIGTERM sets ``stop`` so it can shut down cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await main(stop)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def serve_until_signal(
    serve_fn: Callable[..., Awaitable[None]], host: str | None, port: int | None
) -> None:
    """``serve_fn(settings, host=, port=, stop=)`` until SIGINT/SIGTERM, bound to ``host`` and
    ``port`` or, when not given, to ``api.host`` and ``api.port`` (``crisisbot run`` and
    ``crisisbot serve``)."""
    settings = state().settings
    bind_host = host or settings.api.host
    bind_port = settings.api.port if port is None else port
    run_async(
        run_until_signal(lambda stop: serve_fn(settings, host=bind_host, port=bind_port, stop=stop))
    )


@click.command(name="run")
@click.option("--host", default=None, help="API bind address (default: api.host).")
@click.option("--port", type=int, default=None, help="API port (default: api.port).")
def command(host: str | None, port: int | None) -> None:
    """Run the Discord bot and the lookup API together until SIGINT/SIGTERM."""
    serve_until_signal(serve, host, port)
