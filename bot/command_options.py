"""A command's options checked against the command as this bot defines it, before it runs.

discord.py hands string, integer and boolean options to a handler exactly as Discord sent them:
it checks neither their type nor the ranges and choices the bot registered, because Discord
enforces those in the user's client. But a client may still offer an older version of a command
(before a sync reaches it), and another client can send anything: ``/incident correct entry:"abc"``
reached the engine as a string and failed there with a ``TypeError`` (a generic "something went
wrong"). :func:`check_options` refuses such an interaction up front with a message that names
the option; every cog runs it (``CrisisCog.interaction_check``), so no handler sees a value its
signature does not promise.

Options discord.py resolves itself (users, channels, roles, attachments) are left to it; so are
``number`` options, which it converts with ``float()`` before any check can run.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import AppCommandOptionType, app_commands

__all__ = ["OptionRefused", "check_options"]

#: option types whose value discord.py passes on unchecked, and the Python type it must have
_EXPECTED: dict[AppCommandOptionType, tuple[type, str]] = {
    AppCommandOptionType.string: (str, "text"),
    AppCommandOptionType.integer: (int, "a whole number"),
    AppCommandOptionType.boolean: (bool, "true or false"),
}


class OptionRefused(app_commands.AppCommandError):
    """An option's value does not fit the command as the bot defines it; shown to the user."""


def _problem(parameter: app_commands.Parameter, value: Any) -> str | None:
    expected = _EXPECTED.get(parameter.type)
    if expected is None:
        return None
    kind, described = expected
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return f"must be {described}"
    if parameter.choices and value not in [choice.value for choice in parameter.choices]:
        return "must be one of " + ", ".join(f"`{choice.value}`" for choice in parameter.choices)
    if isinstance(value, str):
        size, unit = len(value), " characters long"
    elif isinstance(value, int) and not isinstance(value, bool):
        size, unit = value, ""
    else:
        return None  # true or false: no range
    low, high = parameter.min_value, parameter.max_value
    if low is not None and size < low:
        return f"must be at least {low}{unit}"
    if high is not None and size > high:
        return f"must be at most {high}{unit}"
    return None


def check_options(interaction: discord.Interaction) -> None:
    """Raise :class:`OptionRefused` for the first option that does not fit its parameter."""
    command = interaction.command
    if not isinstance(command, app_commands.Command):
        return  # context menus take no options
    values = dict(iter(interaction.namespace))  # a Namespace answers None for .keys
    for parameter in command.parameters:
        if parameter.display_name not in values:
            continue  # a missing required option is discord.py's CommandSignatureMismatch
        value = values[parameter.display_name]
        problem = _problem(parameter, value)
        if problem is not None:
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
            raise OptionRefused(
                f"`/{command.qualified_name}`: `{parameter.display_name}` {problem}, but Discord "
                f"sent {shown} (it may still offer an older version of the command); nothing "
                "was changed."
            )
