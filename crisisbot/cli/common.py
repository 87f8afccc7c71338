"""Shared plumbing for subcommands: settings, asyncio, output, error reporting."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from crisisbot.config import ConfigError, Settings, load_settings
from crisisbot.logging_setup import configure_logging

__all__ = [
    "CliState",
    "json_option",
    "print_json",
    "report_error",
    "run_async",
    "state",
]

T = TypeVar("T")

#: Error roots whose messages are written for users; anything else is reported as internal.
_USER_ERROR_ROOTS = ("hashdb.errors:HashDBError", "protocols.errors:ProtocolError")


@dataclass
class CliState:
    config_file: str | None = None
    db_url: str | None = None
    log_json: bool = False
    log_level: str | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """Settings are loaded on first use so `--help` works with a broken config file."""
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_file, db_url=self.db_url)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
            logging_cfg = self._settings.logging
            configure_logging(
                self.log_level or logging_cfg.level, json=self.log_json or logging_cfg.json
            )
        return self._settings


def state(ctx: click.Context | None = None) -> CliState:
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def print_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, sort_keys=False, default=str))


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def _user_error_types() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [ConfigError]
    for spec in _USER_ERROR_ROOTS:
        module_name, _, attr = spec.partition(":")
        try:
            found.append(getattr(importlib.import_module(module_name), attr))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def report_error(exc: BaseException) -> None:
    """One ``Error: ...`` line on stderr, never a traceback.

    An ``OSError`` that reaches this point is the user's file system or network speaking (an
    ``--output`` folder that does not exist, a port in use, a database host that refuses), so it
    is reported as such rather than as an internal error.
    """
    if isinstance(exc, _user_error_types()):
        print(f"Error: {exc}", file=sys.stderr)
    elif isinstance(exc, OSError):
        print(f"Error: {_os_error_text(exc)}", file=sys.stderr)
    else:
        print(f"Error: internal error ({type(exc).__name__}): {exc}", file=sys.stderr)


def _os_error_text(exc: OSError) -> str:
    """``PATH: reason`` for a file error, the system's own words otherwise."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is not None:
        return f"{exc.filename}: {reason}"
    return str(exc) or reason
