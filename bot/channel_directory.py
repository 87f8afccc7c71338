"""Where each incident lives in Discord: its channel, the bot's messages there, and threads.

``ChannelDirectory`` answers "which incident is this channel for?" and "which channel is this
incident's?". A thread belongs to its parent channel's incident: :meth:`incident_for_channel`
(and everything built on it) resolves a ``discord.Thread``, or the id of a thread the bot has
seen, to the parent's incident, so commands, buttons and captures work in threads as in the
channel itself.

Why no table of its own: everything it holds is found again in Discord (the incident id in the
channel topic, the bot's own messages) or in the timeline after a restart
(``bot.channel_recovery``), so there is nothing to keep consistent across restarts.
Imports discord for its types; makes no Discord call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.errors import UserFacingError

__all__ = ["ChannelBinding", "ChannelDirectory", "ChannelRef"]

#: what callers know of a channel: an object (a ``discord.Thread`` knows its parent), an id
#: (resolved through the gateway cache), or nothing (a DM, an interaction without a channel)
ChannelRef = discord.abc.Snowflake | int | None


@dataclass
class ChannelBinding:
    """Where an incident lives in Discord: its channel and the bot's messages there."""

    channel_id: int
    drill: bool = False
    summary_message_id: int | None = None
    page_message_ids: dict[tuple[int, int], int] = field(default_factory=dict)


class ChannelDirectory:
    """Incident <-> channel, thread -> parent channel, captured message -> incident."""

    def __init__(self, get_channel: Callable[[int], Any]) -> None:
        """``get_channel``: the gateway cache's lookup (``Client.get_channel``)."""
        self._get_channel = get_channel
        self._bindings: dict[str, ChannelBinding] = {}
        self._by_channel: dict[int, str] = {}
        self._recorded_messages: dict[int, str] = {}  # captured message id -> incident id
        #: thread id -> parent channel id, for threads seen in interactions but not cached
        self._thread_parents: dict[int, int] = {}

    def __len__(self) -> int:
        """How many incidents have a channel."""
        return len(self._bindings)

    def home_channel_id(self, channel: ChannelRef) -> int | None:
        """The channel that ``channel`` belongs to: a thread's parent, else the channel itself.

        A thread is known by its object (interactions carry it even when the gateway cache does
        not), by the gateway cache (active threads come with GUILD_CREATE and THREAD_CREATE), or
        from an earlier interaction; an unknown id is taken as a channel of its own.
        """
        if channel is None:
            return None
        if isinstance(channel, discord.Thread):
            self._thread_parents[channel.id] = channel.parent_id
            return channel.parent_id
        channel_id = channel if isinstance(channel, int) else channel.id
        cached = self._get_channel(channel_id)
        if isinstance(cached, discord.Thread):
            return cached.parent_id
        return self._thread_parents.get(channel_id, channel_id)

    def incident_for_channel(self, channel: ChannelRef) -> str | None:
        """The incident whose channel (or a thread of it) ``channel`` is; None elsewhere."""
        home = self.home_channel_id(channel)
        return None if home is None else self._by_channel.get(home)

    def require_incident_channel(self, channel: ChannelRef) -> str:
        incident_id = self.incident_for_channel(channel)
        if incident_id is None:
            raise UserFacingError(
                "This is not an incident channel. Run the command in the incident's channel "
                "(or a thread of it)."
            )
        return incident_id

    def incident_channel(self, incident_id: str) -> discord.TextChannel | None:
        """The incident's own text channel (not a thread of it), if the bot has one."""
        binding = self._bindings.get(incident_id)
        channel = None if binding is None else self._get_channel(binding.channel_id)
        return channel if isinstance(channel, discord.TextChannel) else None

    def binding(self, incident_id: str) -> ChannelBinding | None:
        return self._bindings.get(incident_id)

    def bind(self, incident_id: str, binding: ChannelBinding) -> None:
        self._bindings[incident_id] = binding
        self._by_channel[binding.channel_id] = incident_id

    def unbind_channel(self, channel_id: int) -> str | None:
        """Forget a deleted channel; the incident it was bound to, if any."""
        incident_id = self._by_channel.pop(channel_id, None)
        if incident_id is not None:
            self._bindings.pop(incident_id, None)
        return incident_id

    def is_drill_channel(self, channel: ChannelRef) -> bool:
        incident_id = self.incident_for_channel(channel)
        binding = None if incident_id is None else self._bindings.get(incident_id)
        return binding is not None and binding.drill

    def record_messages(self, incident_id: str, message_ids: Iterable[str]) -> None:
        """Note the chat messages ``incident_id``'s timeline holds (edits and deletes of them
        are captured)."""
        for message_id in message_ids:
            self._recorded_messages[int(message_id)] = incident_id

    def incident_for_recorded_message(self, message_id: int) -> str | None:
        return self._recorded_messages.get(message_id)
