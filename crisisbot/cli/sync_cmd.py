"""``crisisbot sync --from URL --key KEY``: mirror a remote API's hash lists into the local DB.

Incremental and resumable: the cursor is stored per source URL in the local database after every
page, so running the command again (from cron, after a crash) continues where it stopped. Then
``crisisbot serve`` (same ``--db``) answers lookups from the local copy with no network call.
What it adds and removes is in the local audit log (``crisisbot keys audit``), as every write is.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from crisisbot.cli.common import json_option, print_json, run_async, state
from crisisbot.composition import open_hash_database
from hashdb import system_clock
from hashdb.api.sync_client import sync_from

__all__ = ["command"]


def _base_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An http(s) URL with a host, refused up front: aiohttp's own error for ``--from example.org``
    repeats the URL without saying what is wrong with it."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(
            f"{value!r} is not an http:// or https:// URL (e.g. https://hashes.example.org)"
        )
    return value


@click.command(name="sync")
@click.option(
    "--from", "source", required=True, callback=_base_url, help="Base URL of the remote API."
)
@click.option(
    "--key", envvar="CRISISBOT_SYNC_KEY", required=True, help="API key (env CRISISBOT_SYNC_KEY)."
)
@click.option("--prefix", default="mirror.", show_default=True, help="Local list name prefix.")
@click.option("--page-size", type=click.IntRange(1, 5000), default=1000, show_default=True)
@click.option("--include-exercise", is_flag=True, help="Also mirror drill lists (exercise key).")
@json_option
def command(
    source: str, key: str, prefix: str, page_size: int, include_exercise: bool, as_json: bool
) -> None:
    """Pull the delta feed of the API at --from into the local database."""
    settings = state().settings

    async def go() -> None:
        async with open_hash_database(settings, clock=system_clock) as database:
            report = await sync_from(
                source,
                key,
                hash_service=database.hashes,
                access_store=database.access_store,
                clock=system_clock,
                prefix=prefix,
                page_size=page_size,
                include_exercise=include_exercise,
            )
        if as_json:
            print_json(report.to_dict())
        else:
            click.echo(
                f"synced {report.source}: {report.added} added, {report.removed} removed, "
                f"{report.skipped} already applied, {report.pages} page(s); cursor {report.cursor}"
            )
            for name in report.lists_created:
                click.echo(f"created mirror list {name}")

    run_async(go())
