"""The one place where errors become what a Discord user sees: a short ephemeral message.

Every cog's ``cog_app_command_error`` and every persistent component's callback hands its error
to :func:`reply_with_error`. Domain errors (``ProtocolError``, ``HashDBError``) carry messages
written for responders and are shown as they are; access refusals say which role is needed;
anything else is logged with its traceback and shown as a generic failure. In every case the
service refused before writing, so the message can honestly say nothing changed: the Discord
calls that follow a write (pin, DM, checklist edit, ...) go through :func:`best_effort`, which
logs a refusal and notes it for the user instead of raising, and a refused answer itself
(``AnswerNotDelivered``) says the action may well be recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

import discord
from discord import app_commands

from bot.command_options import OptionRefused
from bot.replies import AnswerNotDelivered, reply_for
from hashdb.errors import HashDBError
from protocols.errors import ProtocolError

__all__ = [
    "UserFacingError",
    "best_effort",
    "describe_refusal",
    "error_message",
    "reply_with_error",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


class UserFacingError(Exception):
    """A refusal decided by the bot itself (wrong channel, missing input); shown verbatim."""


def _unwrap(error: BaseException) -> BaseException:
    while isinstance(error, (app_commands.CommandInvokeError, app_commands.TransformerError)):
        original = getattr(error, "original", None) or error.__cause__
        if original is None:
            break
        error = original
    return error


def error_message(error: BaseException) -> str:
    """The text shown to the user for ``error`` (after unwrapping discord.py's wrappers)."""
    error = _unwrap(error)
    if isinstance(error, AnswerNotDelivered):
        return (
            f"⚠️ Discord refused the bot's answer ({describe_refusal(error.error)}); if this was "
            "an action, it is recorded in the timeline: check before repeating it."
        )
    if isinstance(error, (ProtocolError, HashDBError, UserFacingError, OptionRefused)):
        return f"⚠️ {error}"
    if isinstance(error, app_commands.CheckFailure):
        return f"⛔ {error}"
    if isinstance(error, app_commands.CommandNotFound):
        return (
            f"⚠️ `/{' '.join([*error.parents, error.name])}` is not a command of this bot (Discord "
            "may still offer an older version of it); nothing was changed."
        )
    if isinstance(error, app_commands.CommandSignatureMismatch):
        return (
            f"⚠️ `/{error.command.qualified_name}` arrived without an option it needs or with an "
            "option of the wrong type (Discord may still offer an older version of the command); "
            "nothing was changed."
        )
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"⏳ Slow down: try again in {error.retry_after:.0f} s."
    return "❌ Something went wrong on our side; nothing was changed. The error has been logged."


def _expected(error: BaseException) -> bool:
    return isinstance(
        error,
        (
            ProtocolError,
            HashDBError,
            UserFacingError,
            AnswerNotDelivered,
            app_commands.CheckFailure,
            app_commands.CommandNotFound,
            app_commands.CommandSignatureMismatch,
            OptionRefused,
        ),
    )


async def reply_with_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user what went wrong, ephemerally, whether or not the interaction was answered."""
    original = _unwrap(error)
    if not _expected(original):
        log.error("interaction failed", exc_info=original)
    elif isinstance(
        original,
        (app_commands.CommandNotFound, app_commands.CommandSignatureMismatch, OptionRefused),
    ):
        log.warning("interaction %s refused: %s", interaction.id, original)
    try:
        await reply_for(interaction).fail(error_message(original))
    except discord.HTTPException:
        log.warning("could not deliver error message to the user", exc_info=True)


#: Discord's JSON error codes a bot meets on calls it can live without.
_DISCORD_CODES = {
    10003: "the channel no longer exists",
    10008: "the message no longer exists",
    50001: "the bot has no access there",
    50007: "their DMs are closed to the bot",
    50013: "the bot lacks a permission there",
    30003: "the channel has too many pinned messages",
}


def describe_refusal(error: discord.HTTPException) -> str:
    """A short reason for a failed Discord call, for a user-facing note ("could not pin: ...")."""
    reason = _DISCORD_CODES.get(error.code)
    if reason is None:
        if isinstance(error, discord.DiscordServerError):
            reason = "Discord had a server error"
        elif isinstance(error, discord.NotFound):
            reason = "Discord does not know that endpoint or object"
        else:
            reason = error.text or "Discord refused"
    return f"{reason} ({error.status}{f'/{error.code}' if error.code else ''})"


async def best_effort(what: str, call: Awaitable[T], problems: list[str] | None = None) -> T | None:
    """Await a Discord call the bot can live without (pin, DM, edit, reaction, history).

    A refusal (403, 404, 50007, a 5xx after discord.py's retries, or an answer discord.py
    cannot parse) is logged and, with ``problems``, noted as ``"could not {what}: {reason}"``
    for the user; the result is then None.
    Whatever the bot already stored in the timeline stays stored.
    """
    try:
        return await call
    except discord.HTTPException as error:
        log.warning("could not %s: %s", what, error)
        if problems is not None:
            problems.append(f"could not {what}: {describe_refusal(error)}")
    except Exception:  # noqa: BLE001 - e.g. an answer discord.py cannot parse; the action stands
        log.exception("could not %s", what)
        if problems is not None:
            problems.append(f"could not {what}: unexpected answer from Discord")
    return None
