"""Capturing chat into the incident timeline: a message context menu and a reaction.

"Add to timeline" (message context menu) or the configured reaction (``discord.capture_emoji``,
📌 by default) on a message in an incident channel, or in a thread of one, records it with its
own time and author (and where it was posted); images in it are recorded as hashes, never as
bytes. A later edit or deletion of a recorded message is
recorded too (from the raw gateway events, so it works for messages older than the cache and
after a restart: the set of recorded messages comes from the timeline).

"Correct timeline entry" (message context menu) on a captured message opens a form with its
recorded text to correct and a reason (``CorrectTimelineEntry``; the original stays visible in
every export). Capturing is for responders; the bot vouches for them with the
``timeline_recorder`` platform role. A capture by reaction is confirmed with a ✅ reaction by the
bot (best effort). Edits and deletions are recorded by the bot's own service actor, once: an
update that does not change the recorded text (an embed unfurl, an event replayed after a
gateway RESUME) and a second deletion are ignored, so a replay never duplicates an event.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Access, actor_for, has_access, require, service_actor
from bot.attachments import read_attachment
from bot.custom_ids import CORRECT_FORM_TEMPLATE, correct_form_id
from bot.errors import UserFacingError, best_effort, reply_with_error
from bot.forms import PersistentForm
from bot.lean_payloads import was_filled
from bot.render import tagged
from bot.replies import start_reply
from hashdb.errors import HashDBError
from hashdb.signals import get_signal
from protocols.actors import TIMELINE_RECORDER, Actor
from protocols.commands import (
    CorrectTimelineEntry,
    RecordMessage,
    RecordMessageDeleted,
    RecordMessageEdited,
)
from protocols.errors import ProtocolError
from protocols.events import MessageRecorded
from protocols.state import TimelineMessage

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["TimelineCapture", "setup"]

log = logging.getLogger(__name__)

#: the bot's reaction on a message it captured because someone reacted with the capture emoji
CAPTURED_EMOJI = "✅"


class TimelineCapture(commands.Cog):
    def __init__(self, bot: CrisisBot) -> None:
        self.bot = bot
        #: one edit/deletion at a time, so "already recorded?" and the write cannot interleave
        self._changes = asyncio.Lock()
        self.menus = (
            app_commands.ContextMenu(name="Add to timeline", callback=self.add_to_timeline),
            app_commands.ContextMenu(name="Correct timeline entry", callback=self.correct_entry),
        )

    async def cog_load(self) -> None:
        for menu in self.menus:
            self.bot.tree.add_command(menu)
        self.bot.forms.add(CorrectEntryModal)

    async def cog_unload(self) -> None:
        for menu in self.menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)
        self.bot.forms.remove(CorrectEntryModal)

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
            # a local-feature value (20 KB) is recorded by its summary: the timeline names what
            # was posted, the lists hold what matches
            found.extend((h.signal, get_signal(h.signal).summary(h.value)) for h in hashes)
        return tuple(found)

    async def record(self, message: discord.Message, by: discord.abc.User) -> bool:
        """Record ``message`` in its incident's timeline; False when it is already there."""
        incident_id = self.bot.channels.require_incident_channel(message.channel)
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
        await self.bot.timeline.execute(incident_id, command)
        return True

    async def add_to_timeline(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        try:
            require(self.bot.settings, interaction.user, Access.RESPONDER)
            reply = start_reply(interaction, ephemeral=True)  # images are downloaded and hashed
            added = await self.record(message, interaction.user)
            incident_id = self.bot.channels.require_incident_channel(message.channel)
            state = await self.bot.incidents.get(incident_id)
            text = "📌 Added to the timeline." if added else "Already in the timeline."
            await reply.send(tagged(state, text))
        except Exception as error:  # noqa: BLE001 - shown to the user by the one error mapping
            await reply_with_error(interaction, error)

    async def correct_entry(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """Menu on a captured message: a form with its recorded text to correct, and a reason."""
        try:
            require(self.bot.settings, interaction.user, Access.RESPONDER)
            incident_id = self.bot.channels.require_incident_channel(message.channel)
            entry = next(
                (
                    record
                    for record in await self.bot.incidents.events(incident_id)
                    if isinstance(record.event, MessageRecorded)
                    and record.event.message_id == str(message.id)
                ),
                None,
            )
            if entry is None:
                raise UserFacingError(
                    "This message is not in the timeline; add it first (menu: Add to timeline), "
                    "or correct another entry with /incident correct."
                )
            state = await self.bot.incidents.get(incident_id)
            current = state.messages[str(message.id)].content
            await CorrectEntryModal(incident_id, entry.version, current).show(interaction)
        except Exception as error:  # noqa: BLE001 - shown to the user by the one error mapping
            await reply_with_error(interaction, error)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if str(payload.emoji) != self.bot.settings.capture_emoji:
            return
        await self.bot.resumed.wait()  # channels are bound to incidents once resumed
        if self.bot.channels.incident_for_channel(payload.channel_id) is None:
            return
        member = payload.member or await self._member(payload.guild_id, payload.user_id)
        if (
            member is None
            or member.bot
            or not has_access(self.bot.settings, member, Access.RESPONDER)
        ):
            return
        cached = self.bot.get_channel(payload.channel_id)
        channel: discord.TextChannel | discord.Thread | discord.PartialMessageable
        if isinstance(cached, discord.TextChannel | discord.Thread):
            channel = cached
        else:  # an uncached thread
            channel = self.bot.get_partial_messageable(
                payload.channel_id, guild_id=payload.guild_id
            )
        message = discord.utils.get(self.bot.cached_messages, id=payload.message_id)
        if message is None:
            message = await best_effort(
                f"read message {payload.message_id} to capture it",
                channel.fetch_message(payload.message_id),
            )
        if message is None:
            return
        try:
            added = await self.record(message, member)
        except (ProtocolError, UserFacingError) as error:  # e.g. the incident is closed
            log.info("message %s not captured: %s", message.id, error)
            return
        if added:
            await best_effort("confirm the capture", message.add_reaction(CAPTURED_EMOJI))

    async def _member(self, guild_id: int | None, user_id: int) -> discord.Member | None:
        """The reacting member when the event carries none (another Discord may omit it)."""
        guild = None if guild_id is None else self.bot.get_guild(guild_id)
        if guild is None:
            return None
        return guild.get_member(user_id) or await best_effort(
            f"look up member {user_id}", guild.fetch_member(user_id)
        )

    def _service_actor(self) -> Actor:
        return service_actor(self.bot.user, TIMELINE_RECORDER)

    async def _recorded(self, message_id: int) -> tuple[str, TimelineMessage] | None:
        """The open incident and timeline record of a captured message still in Discord."""
        await self.bot.resumed.wait()  # the recorded messages are known once resumed
        incident_id = self.bot.channels.incident_for_recorded_message(message_id)
        if incident_id is None:
            return None
        state = await self.bot.incidents.get(incident_id)
        recorded = state.messages.get(str(message_id))
        if recorded is None or recorded.deleted_at is not None or not state.is_open:
            return None
        return incident_id, recorded

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        content = payload.data.get("content")
        if content is None or was_filled(payload.data, "content"):
            return  # a partial update without the text (an embed unfurl)
        edited_at = payload.data.get("edited_timestamp")
        async with self._changes:
            found = await self._recorded(payload.message_id)
            if found is None or found[1].content == content:
                return  # not recorded, or nothing new (unfurl, or a replay of a recorded edit)
            await self.bot.timeline.execute(
                found[0],
                RecordMessageEdited(
                    str(payload.message_id),
                    content,
                    datetime.fromisoformat(edited_at) if edited_at else self.bot.clock(),
                    actor=self._service_actor(),
                ),
            )

    async def _record_deleted(self, message_id: int) -> None:
        async with self._changes:
            found = await self._recorded(message_id)
            if found is None:
                return
            await self.bot.timeline.execute(
                found[0],
                RecordMessageDeleted(
                    str(message_id), self.bot.clock(), actor=self._service_actor()
                ),
            )

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self._record_deleted(payload.message_id)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        for message_id in sorted(payload.message_ids):
            await self._record_deleted(message_id)


class CorrectEntryModal(PersistentForm):
    """``cb:fix:{incident}:{entry}``: the corrected wording of a captured message's entry, and why.

    A ``PersistentForm``: a correction typed while the bot restarted is still recorded.
    """

    template = CORRECT_FORM_TEMPLATE

    def __init__(self, incident_id: str, entry: int, current: str) -> None:
        super().__init__(
            title=f"Correct timeline entry #{entry}"[:45],
            custom_id=correct_form_id(incident_id, entry),
        )
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Corrected text",
            style=discord.TextStyle.paragraph,
            default=current[:2000] or None,
            max_length=2000,
            custom_id="text",
        )
        self.reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Why is it corrected?", max_length=1000, custom_id="reason"
        )
        self.add_item(self.text)
        self.add_item(self.reason)

    @classmethod
    async def submit(
        cls, interaction: discord.Interaction, ids: re.Match[str], values: Mapping[str, str]
    ) -> None:
        bot: CrisisBot = interaction.client  # type: ignore[assignment]
        require(bot.settings, interaction.user, Access.RESPONDER)
        reply = start_reply(interaction)
        actor = actor_for(bot.settings, interaction.user)
        command = CorrectTimelineEntry(
            int(ids["entry"]), values.get("reason", ""), values.get("text", ""), actor=actor
        )
        _, answer = await bot.timeline.execute_described(
            ids["incident"], command, interaction.user.mention
        )
        await reply.send(answer, allowed_mentions=discord.AllowedMentions.none())


async def setup(bot: CrisisBot) -> None:
    await bot.add_cog(TimelineCapture(bot))
