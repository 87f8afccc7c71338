"""What every feature cog shares: the access check, the timely reply and the error hook.

``interaction_check`` and ``cog_app_command_error`` are discord.py's cog-level hooks: the check
runs before every app command of the cog (a cog declares the access its commands need in
``access``), refuses options that do not fit the command (``bot.command_options``), then starts
the command's :class:`bot.replies.Reply` (deferred if the command is still working after two
seconds; private for the commands listed in ``private``; marked DRILL in a drill channel). Every
error of those commands lands in ``bot.errors.reply_with_error``.
Handlers answer with ``self.reply(interaction).send(...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Access, require
from bot.command_options import check_options
from bot.errors import reply_with_error
from bot.replies import Reply, reply_for, start_reply

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["CrisisCog"]


class CrisisCog(commands.Cog):
    #: the access every app command of the cog needs ...
    access: ClassVar[Access] = Access.RESPONDER
    #: ... unless its (sub)command name is listed here with another one
    command_access: ClassVar[dict[str, Access]] = {}
    #: (sub)commands whose answer only the user sees
    private: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, bot: CrisisBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        name = interaction.command.name if interaction.command else ""
        require(self.bot.settings, interaction.user, self.command_access.get(name, self.access))
        check_options(interaction)
        start_reply(interaction, ephemeral=name in self.private)
        return True

    def reply(self, interaction: discord.Interaction) -> Reply:
        return reply_for(interaction)

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await reply_with_error(interaction, error)
