"""``crisisbot keys``: create, list and revoke API keys for platforms, and read the audit log.

The token is printed once, by ``keys create``; only its SHA-256 is stored. Every create and revoke
is written to the audit log with the operating-system user as the actor (``cli:USER``).
"""

from __future__ import annotations

import getpass

import click

from crisisbot.cli.common import json_option, print_json, run_async, state
from crisisbot.composition import open_access_service

__all__ = ["command", "cli_actor"]


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@click.group(name="keys")
def command() -> None:
    """Create, list and revoke API keys for platforms."""


@command.command(name="create")
@click.option("--platform", required=True, help="The platform (organisation) the key is for.")
@click.option(
    "--scope",
    type=click.Choice(["query", "contribute", "admin"]),
    default="query",
    show_default=True,
    help="query: match and read; contribute: also add/remove own entries; admin: everything.",
)
@click.option("--exercise", is_flag=True, help="The key may ask for exercise (drill) lists.")
@json_option
def create(platform: str, scope: str, exercise: bool, as_json: bool) -> None:
    """Create a key. The token is shown once: store it now."""

    async def go() -> None:
        async with open_access_service(state().settings) as access:
            issued = await access.issue_key(
                platform=platform, scope=scope, created_by=cli_actor(), exercise=exercise
            )
        if as_json:
            print_json(issued.to_dict())
            return
        key = issued.key
        click.echo(f"key id:   {key.key_id}")
        click.echo(f"platform: {key.platform}")
        click.echo(f"scope:    {key.scope.value}{' (exercise lists allowed)' if exercise else ''}")
        click.echo(f"token:    {issued.token}")
        click.echo("The token is shown only once; only its hash is stored.", err=True)

    run_async(go())


@command.command(name="list")
@json_option
def list_keys(as_json: bool) -> None:
    """Every key with its platform, scope, state and query count (never the token)."""

    async def go() -> None:
        async with open_access_service(state().settings) as access:
            keys = await access.keys()
        if as_json:
            print_json([k.to_dict() for k in keys])
            return
        if not keys:
            click.echo("no API keys")
            return
        click.echo(f"{'KEY ID':<14}{'PLATFORM':<20}{'SCOPE':<12}{'STATE':<10}{'QUERIES':>10}")
        for k in keys:
            status = "active" if k.active else "revoked"
            click.echo(
                f"{k.key_id:<14}{k.platform:<20}{k.scope.value:<12}{status:<10}{k.query_count:>10}"
            )

    run_async(go())


@command.command(name="revoke")
@click.argument("key_id")
@json_option
def revoke(key_id: str, as_json: bool) -> None:
    """Revoke KEY_ID (from `keys list`). A running server refuses it within api key cache time."""

    async def go() -> None:
        async with open_access_service(state().settings) as access:
            key = await access.revoke_key(key_id, revoked_by=cli_actor())
        if as_json:
            print_json(key.to_dict())
        else:
            click.echo(f"revoked {key.key_id} ({key.platform}, {key.scope.value})")

    run_async(go())


@command.command(name="audit")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--actor", default=None, help="Only this actor (e.g. api:PLATFORM/KEYID).")
@click.option("--action", default=None, help="Only this action: entry.add, entry.remove, ...")
@json_option
def audit(limit: int, actor: str | None, action: str | None, as_json: bool) -> None:
    """The audit log of entry additions and removals and key changes, newest first."""

    async def go() -> None:
        async with open_access_service(state().settings) as access:
            records = await access.audit(limit=limit, actor=actor, action=action)
        if as_json:
            print_json([r.to_dict() for r in records])
            return
        for r in records:
            click.echo(f"{r.at.isoformat()}  {r.actor:<32} {r.action:<13} {r.target}")

    run_async(go())
