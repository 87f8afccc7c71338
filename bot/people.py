"""The ``Person`` option type: a user option resolved to a guild member whatever the payload holds.

Discord normally sends a user option with its member data resolved, but a Discord-compatible
client may send the user alone or only the id. discord.py's own ``discord.Member`` annotation
refuses anything but a resolved member, which would turn a valid command into a failure. This
transformer accepts all three: the member from the payload, else from the gateway cache, else
one ``GET /guilds/{id}/members/{user}``, else the plain user (someone outside the server).
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.errors import UserFacingError

__all__ = ["Person", "PersonTransformer"]


class PersonTransformer(app_commands.Transformer):
    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.user

    async def transform(
        self, interaction: discord.Interaction, value: Any, /
    ) -> discord.Member | discord.User:
        if isinstance(value, discord.Member):
            return value
        user_id = int(value.id)
        guild = interaction.guild
        if guild is not None:
            member = guild.get_member(user_id)
            if member is not None:
                return member
            try:
                return await guild.fetch_member(user_id)
            except discord.HTTPException:
                pass  # not (or no longer) in the server: the plain user below
        if isinstance(value, discord.User):
            return value
        try:
            return await interaction.client.fetch_user(user_id)
        except discord.HTTPException as error:
            raise UserFacingError(f"Discord does not know the user {user_id}.") from error


#: A user option as a member (or a plain user outside the server); see the module docstring.
Person = app_commands.Transform[discord.Member | discord.User, PersonTransformer]
