"""``crisisbot serve``: run the HTTP lookup API alone (no Discord bot) until SIGINT/SIGTERM.

Serves whatever database ``--db`` points at: the main database, or a local copy kept up to date
by ``crisisbot sync``.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime

import click

from crisisbot.cli.common import run_async, state
from crisisbot.cli.hashdb_cmd import database_target, open_service
from crisisbot.cli.run_cmd import api_config
from crisisbot.config import Settings
from hashdb import system_clock
from hashdb.access import open_access_store
from hashdb.api import create_app, serve_api

__all__ = ["command", "run_until_signal", "serve_until"]


async def serve_until(
    settings: Settings,
    *,
    host: str,
    port: int,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = system_clock,
) -> None:
    async with (
        open_service(settings) as hashes,
        open_access_store(database_target(settings)) as access,
    ):
        app = create_app(
            hash_service=hashes, access_store=access, settings=api_config(settings), clock=clock
        )
        runner = await serve_api(app, host, port, tune_gc=True)
        try:
            bound = runner.addresses[0][1] if runner.addresses else port
            print(f"lookup API listening on http://{host}:{bound}", file=sys.stderr, flush=True)
            await stop.wait()
        finally:
            await runner.cleanup()


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


@click.command(name="serve")
@click.option("--host", default=None, help="Bind address (default: api.host).")
@click.option("--port", type=int, default=None, help="Port (default: api.port; 0 picks one).")
def command(host: str | None, port: int | None) -> None:
    """Run the lookup API alone until SIGINT/SIGTERM."""
    settings = state().settings
    bind_host = host or settings.api.host
    bind_port = settings.api.port if port is None else port
    run_async(
        run_until_signal(
            lambda stop: serve_until(settings, host=bind_host, port=bind_port, stop=stop)
        )
    )
