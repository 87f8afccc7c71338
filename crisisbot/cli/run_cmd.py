"""``crisisbot run``: the Discord bot and the lookup API in one process (the main job).

Receives the database-backed services, the API app and the bot from the composition root
(``crisisbot.composition``), serves them, and closes them in reverse order on SIGINT/SIGTERM.
Without ``DISCORD_TOKEN`` it says so on stderr and serves the API alone, so a platform-facing
lookup service can run before the Discord side is set up.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

import click

from crisisbot.cli.common import run_async, state
from crisisbot.composition import discord_bot, lookup_api, open_services
from crisisbot.config import Settings
from hashdb import system_clock
from hashdb.api import serve_api

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = [
    "command",
    "run_until_signal",
    "serve",
    "serve_until_signal",
]

log = logging.getLogger(__name__)

NO_TOKEN_MESSAGE = (
    "DISCORD_TOKEN is not set: the Discord bot is not started; serving the lookup API only. "
    "Set DISCORD_TOKEN (see docs/bot.md) to run the bot as well."
)


async def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = system_clock,
) -> None:
    """Run until ``stop`` is set: the API always, the bot when a token is configured."""
    async with open_services(settings, clock=clock) as services:
        app = lookup_api(settings, services.hashes, services.access_store, clock)
        runner = await serve_api(app, host, port, tune_gc=True)
        log.info("lookup API listening on http://%s:%s", host, port)
        bot: CrisisBot | None = None
        bot_task: asyncio.Task[None] | None = None
        try:
            if settings.discord.token:
                bot = discord_bot(services)
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
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="API port (default: api.port)."
)
def command(host: str | None, port: int | None) -> None:
    """Run the Discord bot and the lookup API together until SIGINT/SIGTERM."""
    serve_until_signal(serve, host, port)
