"""Finding incident channels again, and making the ones that are missing.

- :meth:`ChannelRecovery.resume` runs once the gateway is ready after a start: it re-binds every
  incident to its channel (found by the incident id in the channel topic, from the gateway cache:
  no REST call; closed incidents too, for ``/incident export``), finds the bot's summary and
  checklist messages of open ones (one history read per incident), re-creates a channel that is
  missing and refreshes the summaries to show what happened while the bot was away.
- :meth:`create_missing_channels` creates the channel of every open incident that has none
  (Discord refused it before, or someone deleted it: :meth:`channel_deleted`); the deadline
  dispatcher retries it once a minute.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from bot.channel_directory import ChannelBinding
from bot.custom_ids import parse_step_id
from bot.errors import UserFacingError, best_effort
from bot.render import checklist_pages, incident_id_from_topic
from protocols.state import IncidentState

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["MISSING_CHANNEL_RETRY_SECONDS", "ChannelRecovery"]

log = logging.getLogger(__name__)

#: how often (at most) the deadline dispatcher retries creating refused incident channels
MISSING_CHANNEL_RETRY_SECONDS = 60.0


class ChannelRecovery:
    def __init__(self, bot: CrisisBot) -> None:
        self.bot = bot
        #: held while an incident is declared and its channel created, and while missing
        #: channels are created, so no incident ever gets two channels
        self.opening = asyncio.Lock()
        self._next_missing_check = 0.0

    def guild(self) -> discord.Guild | None:
        """The server incidents live in: ``discord.guild_id``, or without it the server that
        holds ``discord.incident_category_id`` (commands are then synced globally)."""
        if self.bot.settings.guild_id:
            return self.bot.get_guild(self.bot.settings.guild_id)
        category = self.bot.get_channel(self.bot.settings.incident_category_id)
        return category.guild if isinstance(category, discord.CategoryChannel) else None

    async def resume(self) -> None:
        """Re-bind open incidents to their channels after a start (see module docstring)."""
        guild = self.guild()
        if guild is None:
            log.warning("guild %s is not available; nothing resumed", self.bot.settings.guild_id)
            return
        by_topic = {
            incident_id: channel
            for channel in guild.text_channels
            if (incident_id := incident_id_from_topic(channel.topic)) is not None
        }
        channels = self.bot.channels
        for state in await self.bot.incidents.list():
            channel = by_topic.get(state.id)
            if not state.is_open:  # closed: its channel still answers /incident export, status
                if channel is not None:
                    channels.bind(state.id, ChannelBinding(channel.id, drill=state.drill))
                continue
            channels.record_messages(state.id, state.messages)
            if channel is None:
                continue  # created below
            binding = ChannelBinding(channel.id, drill=state.drill)
            channels.bind(state.id, binding)
            await best_effort(
                f"read the history of {channel.id}",
                self._find_own_messages(channel, state, binding),
            )
            # posts a new summary if the old one was not found
            self.bot.projection.summaries.request(state.id)
        await self.create_missing_channels(force=True)
        log.info("re-bound %d incident channels", len(channels))

    async def create_missing_channels(self, *, force: bool = False) -> int:
        """Create the channel of every open incident that has none (Discord refused it before).

        Runs at start and from the deadline dispatcher, there at most once per
        ``MISSING_CHANNEL_RETRY_SECONDS``: an incident whose channel was refused gets it as soon
        as Discord allows (for example once the bot's permissions are fixed), so nobody needs to
        open the incident a second time. Returns how many channels were created.
        """
        now = asyncio.get_running_loop().time()
        if not force and now < self._next_missing_check:
            return 0
        self._next_missing_check = now + MISSING_CHANNEL_RETRY_SECONDS
        guild = self.guild()
        if guild is None:
            return 0
        created = 0
        async with self.opening:
            for state in await self.bot.incidents.list(open_only=True):
                if self.bot.channels.binding(state.id) is not None:
                    continue
                try:
                    channel = await self.bot.projection.open_channel(guild, state)
                except (discord.HTTPException, UserFacingError) as error:
                    log.warning("incident %s still has no channel: %s", state.id, error)
                    continue
                await self.bot.projection.post_initial(channel, state)
                created += 1
        return created

    async def channel_deleted(self, channel_id: int) -> None:
        """Someone deleted an incident's channel: create it again (the timeline has everything)."""
        incident_id = self.bot.channels.unbind_channel(channel_id)
        if incident_id is None:
            return
        log.warning("channel of incident %s was deleted; creating it again", incident_id)
        await self.create_missing_channels(force=True)

    async def _find_own_messages(
        self, channel: discord.TextChannel, state: IncidentState, binding: ChannelBinding
    ) -> None:
        pages = checklist_pages(self.bot.incidents.protocol_for(state))
        me = channel.guild.me.id
        async for message in channel.history(limit=100, oldest_first=True):
            if message.author.id != me:
                continue
            footer = message.embeds[0].footer.text if message.embeds else None
            if binding.summary_message_id is None and footer and footer.endswith("· summary"):
                binding.summary_message_id = message.id
                continue
            step_ids = [
                parsed.step_id
                for row in message.components
                for child in getattr(row, "children", ())
                if (parsed := parse_step_id(getattr(child, "custom_id", None) or "")) is not None
            ]
            for page in pages:
                if step_ids and step_ids[0] in {s.id for s in page.steps}:
                    binding.page_message_ids.setdefault(page.key, message.id)
