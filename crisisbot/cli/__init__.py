"""The `crisisbot` command: one entry point, subcommands loaded lazily.

Why lazy: `crisisbot hash FILE` should not pay for importing discord.py and faiss, and a broken
optional module must not take the whole CLI down. Each subcommand lives in its own module in this
package and exposes a click command or group named ``command``.

Conventions every subcommand follows: global ``--config FILE`` / ``--db URL`` (also
``CRISISBOT_CONFIG`` / ``CRISISBOT_DB``), ``--json`` wherever results are printed, results on
stdout, messages and logs on stderr, a non-zero exit status on any error.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from crisisbot import __version__
from crisisbot.cli.common import CliState, report_error

__all__ = ["cli", "main"]

#: subcommand name -> (module, one-line help). Modules define ``command``.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "hash": ("crisisbot.cli.hash_cmd", "Hash files (PDQ, pHash, MD5, SHA-256, local features)."),
    "hashdb": (
        "crisisbot.cli.hashdb_cmd",
        "Manage hash lists: lists, add, check, remove, import, export.",
    ),
    "protocol": ("crisisbot.cli.protocol_cmd", "Validate and show crisis protocols."),
    "incident": ("crisisbot.cli.incident_cmd", "Open, drive, export and verify incidents."),
    "keys": ("crisisbot.cli.keys_cmd", "Create, list and revoke API keys for platforms."),
    "serve": ("crisisbot.cli.serve_cmd", "Run the HTTP lookup API alone."),
    "sync": (
        "crisisbot.cli.sync_cmd",
        "Pull a remote hash database's delta feed into a local copy.",
    ),
    "run": ("crisisbot.cli.run_cmd", "Run the Discord bot and the lookup API together (main job)."),
    "drill": ("crisisbot.cli.drill_cmd", "Validate and run tabletop drill scenarios."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked or listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in SUBCOMMANDS:
            return None
        module_name, help_text = SUBCOMMANDS[name]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise

            @click.command(name=name, help=help_text)
            def unavailable() -> None:
                raise click.ClickException(f"'{name}' is not available in this build")

            return unavailable
        command: click.Command = module.command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crisisbot")
@click.option(
    "--config",
    "config_file",
    envvar="CRISISBOT_CONFIG",
    type=click.Path(dir_okay=False),
    help="YAML config file (env CRISISBOT_CONFIG).",
)
@click.option(
    "--db",
    "db_url",
    envvar="CRISISBOT_DB",
    help="Database URL: sqlite:///crisisbot.db (default) or postgresql://... (env CRISISBOT_DB).",
)
@click.option("--log-json", is_flag=True, help="Log JSON lines (env CRISISBOT_LOG_FORMAT=json).")
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR.")
@click.pass_context
def cli(
    ctx: click.Context,
    config_file: str | None,
    db_url: str | None,
    log_json: bool,
    log_level: str | None,
) -> None:
    """crisisbot: hash database, crisis protocols, Discord bot and lookup API."""
    ctx.obj = CliState(
        config_file=config_file, db_url=db_url, log_json=log_json, log_level=log_level
    )


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: every error becomes a message on stderr and exit status 1."""
    try:
        return cli.main(args=argv, prog_name="crisisbot", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a CLI
        report_error(exc)
        sys.exit(1)
