"""``crisisbot serve``: run the HTTP lookup API alone (no Discord bot) until SIGINT/SIGTERM.

Serves whatever database ``--db`` points at: the main database, or a local copy kept up to date
by ``crisisbot sync``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import datetime

import click

from crisisbot.cli.run_cmd import run_until_signal, serve_until_signal
from crisisbot.composition import lookup_api, open_hash_database
from crisisbot.config import Settings
from hashdb import system_clock
from hashdb.api import serve_api

__all__ = ["command", "run_until_signal", "serve_until"]


async def serve_until(
    settings: Settings,
    *,
    host: str,
    port: int,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = system_clock,
) -> None:
    async with open_hash_database(settings, clock=clock) as database:
        app = lookup_api(settings, database.hashes, database.access_store, clock)
        runner = await serve_api(app, host, port, tune_gc=True)
        try:
            bound = runner.addresses[0][1] if runner.addresses else port
            print(f"lookup API listening on http://{host}:{bound}", file=sys.stderr, flush=True)
            await stop.wait()
        finally:
            await runner.cleanup()


@click.command(name="serve")
@click.option("--host", default=None, help="Bind address (default: api.host).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port (default: api.port; 0 picks one).",
)
def command(host: str | None, port: int | None) -> None:
    """Run the lookup API alone until SIGINT/SIGTERM."""
    serve_until_signal(serve_until, host, port)
