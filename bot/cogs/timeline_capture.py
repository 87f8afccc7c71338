"""Capturing chat into the incident timeline: a message context menu and a reaction.

"Add to timeline" (message context menu) or the configured reaction (``discord.capture_emoji``,
📌 by default) on a message in an incident channel records it with its own time and author; images
in it are recorded as hashes, never as bytes. A later edit or deletion of a recorded message is
recorded too (from the raw gateway events, so it works for messages older than the cache and
after a restart: the set of recorded messages comes from the timeline).

Capturing is for responders; the bot vouches for them with the ``timeline_recorder`` platform
role. Edits and deletions are recorded by the bot's own service actor.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Access, actor_for, has_access, require, service_actor
from bot.attachments import read_attachment
from bot.errors import UserFacingError, reply_with_error
from bot.render import tagged
from hashdb.errors import HashDBError
from protocols.actors import TIMELINE_RECORDER, Actor
from protocols.commands import RecordMessage, RecordMessageDeleted, RecordMessageEdited

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["TimelineCapture", "setup"]

log = logging.getLogger(__name__)


class TimelineCapture(commands.Cog):
    def __init__(self, bot: CrisisBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Add to timeline", callback=self.add_to_timeline)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def _image_hashes(self, message: discord.Message) -> tuple[tuple[str, str], ...]:
        found: list[tuple[str, str]] = []
        for attachment in message.attachments:
            try:
                data = await read_attachment(
                    attachment, max_bytes=self.bot.settings.upload_max_bytes
                )
                hashes = await self.bot.hashes.hash_bytes(data, name=attachment.filename)
            except (HashDBError, UserFacingError, discord.HTTPException) as error:
                log.info("attachment %s not hashed: %s", attachment.filename, error)
                continue
            found.extend((h.signal, h.value) for h in hashes)
        return tuple(found)

    async def record(self, message: discord.Message, by: discord.abc.User) -> bool:
        """Record ``message`` in its incident's timeline; False when it is already there."""
        incident_id = self.bot.channels.require_incident_channel(message.channel.id)
        if self.bot.channels.incident_for_recorded_message(message.id) == incident_id:
            return False
        command = RecordMessage(
            message_id=str(message.id),
            channel_id=str(message.channel.id),
            author_id=str(message.author.id),
            author_name=message.author.display_name,
            content=message.content,
            posted_at=message.created_at,
            image_hashes=await self._image_hashes(message),
            actor=actor_for(self.bot.settings, by, TIMELINE_RECORDER),
        )
        await self.bot.channels.execute(incident_id, command)
        return True

    async def add_to_timeline(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        try:
            require(self.bot.settings, interaction.user, Access.RESPONDER)
            added = await self.record(message, interaction.user)
            incident_id = self.bot.channels.require_incident_channel(message.channel.id)
            state = await self.bot.channels.state(incident_id)
            text = "📌 Added to the timeline." if added else "Already in the timeline."
            await interaction.response.send_message(tagged(state, text), ephemeral=True)
        except Exception as error:  # noqa: BLE001 - shown to the user by the one error mapping
            await reply_with_error(interaction, error)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if str(payload.emoji) != self.bot.settings.capture_emoji:
            return
        await self.bot.resumed.wait()  # channels are bound to incidents once resumed
        if self.bot.channels.incident_for_channel(payload.channel_id) is None:
            return
        member = payload.member
        if (
            member is None
            or member.bot
            or not has_access(self.bot.settings, member, Access.RESPONDER)
        ):
            return
        channel = self.bot.get_channel(payload.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        message = discord.utils.get(self.bot.cached_messages, id=payload.message_id)
        if message is None:
            message = await channel.fetch_message(payload.message_id)
        await self.record(message, member)

    def _service_actor(self) -> Actor:
        return service_actor(self.bot.user, TIMELINE_RECORDER)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.bot.resumed.wait()  # the recorded messages are known once resumed
        incident_id = self.bot.channels.incident_for_recorded_message(payload.message_id)
        edited_at = payload.data.get("edited_timestamp")
        if incident_id is None or "content" not in payload.data or not edited_at:
            return  # not recorded, or an embed unfurl rather than an edit by the author
        await self.bot.channels.execute(
            incident_id,
            RecordMessageEdited(
                str(payload.message_id),
                payload.data["content"],
                datetime.fromisoformat(edited_at),
                actor=self._service_actor(),
            ),
        )

    async def _record_deleted(self, message_id: int) -> None:
        await self.bot.resumed.wait()
        incident_id = self.bot.channels.incident_for_recorded_message(message_id)
        if incident_id is None:
            return
        await self.bot.channels.execute(
            incident_id,
            RecordMessageDeleted(str(message_id), self.bot.clock(), actor=self._service_actor()),
        )

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self._record_deleted(payload.message_id)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        for message_id in sorted(payload.message_ids):
            await self._record_deleted(message_id)


async def setup(bot: CrisisBot) -> None:
    await bot.add_cog(TimelineCapture(bot))
