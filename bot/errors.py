"""The one place where errors become what a Discord user sees: a short ephemeral message.

Every cog's ``cog_app_command_error`` and every persistent component's callback hands its error
to :func:`reply_with_error`. Domain errors (``ProtocolError``, ``HashDBError``) carry messages
written for responders and are shown as they are; access refusals say which role is needed;
anything else is logged with its traceback and shown as a generic failure. In every case the
service refused before writing, so the message can honestly say nothing changed.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from hashdb.errors import HashDBError
from protocols.errors import ProtocolError

__all__ = ["UserFacingError", "error_message", "reply_with_error"]

log = logging.getLogger(__name__)


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
    if isinstance(error, (ProtocolError, HashDBError, UserFacingError)):
        return f"⚠️ {error}"
    if isinstance(error, app_commands.CheckFailure):
        return f"⛔ {error}"
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"⏳ Slow down: try again in {error.retry_after:.0f} s."
    return "❌ Something went wrong on our side; nothing was changed. The error has been logged."


def _expected(error: BaseException) -> bool:
    return isinstance(
        error, (ProtocolError, HashDBError, UserFacingError, app_commands.CheckFailure)
    )


async def reply_with_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user what went wrong, ephemerally, whether or not the interaction was answered."""
    original = _unwrap(error)
    if not _expected(original):
        log.error("interaction failed", exc_info=original)
    message = error_message(original)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver error message to the user", exc_info=True)
