"""The Discord side of each incident: its private channel, pinned summary and checklists.

``IncidentChannels`` is the bot's projection of the incident timeline onto Discord:

- :meth:`execute` stores an engine command first (the timeline is written before anything is
  acknowledged) and then asks for a summary refresh. Refreshes are coalesced per incident
  (``summary_edit_interval_seconds``), so bursts of clicks produce one edit, not one per click.
- :meth:`open_channel` creates the private channel (overwrites: @everyone cannot see it; the
  configured responder/admin roles, the named participants and the bot can) and posts the pinned
  summary and one checklist message per stage (five steps per message).
- :meth:`resume` runs once the gateway is ready after a start: it re-binds every incident to
  its channel (found by the incident id in the channel topic, from the gateway cache: no REST
  call; closed incidents too, for ``/incident export``), finds the bot's summary and checklist
  messages of open ones (one history read per incident), re-creates a channel that is missing
  (:meth:`create_missing_channels`, also retried by the deadline dispatcher and run when a
  channel is deleted), and refreshes the summaries to show what happened while the bot was away.
- Every Discord call after the timeline write is best effort (``bot.errors.best_effort``): a
  refused pin, post, DM or edit is logged and told to the user, never raised.

A thread belongs to its parent channel's incident: :meth:`incident_for_channel` (and everything
built on it) resolves a ``discord.Thread``, or the id of a thread the bot has seen, to the
parent's incident, so commands, buttons and captures work in threads as in the channel itself.

Why no table of its own: everything the bot needs to find again is already in Discord (topic,
its own messages) or in the timeline, so there is nothing to keep consistent across restarts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

from bot.coalesced_refresher import CoalescedRefresher
from bot.custom_ids import parse_step_id
from bot.errors import UserFacingError, best_effort
from bot.render import (
    ChecklistPage,
    DueLine,
    channel_name,
    channel_topic,
    checklist_embed,
    checklist_page_for_step,
    checklist_pages,
    checklist_view,
    incident_id_from_topic,
    role_assignment_dm,
    summary_embed,
    tagged,
)
from bot.replies import reply_for
from protocols.definition import Protocol
from protocols.exports import describe_event
from protocols.state import IncidentState
from protocols.timers import due_steps

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["ChannelBinding", "ChannelRef", "IncidentChannels"]

#: what callers know of a channel: an object (a ``discord.Thread`` knows its parent), an id
#: (resolved through the gateway cache), or nothing (a DM, an interaction without a channel)
ChannelRef = discord.abc.Snowflake | int | None

log = logging.getLogger(__name__)

#: how often (at most) the deadline dispatcher retries creating refused incident channels
MISSING_CHANNEL_RETRY_SECONDS = 60.0

_MEMBER_ACCESS = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, read_message_history=True
)
_BOT_ACCESS = discord.PermissionOverwrite(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
)


@dataclass
class ChannelBinding:
    """Where an incident lives in Discord: its channel and the bot's messages there."""

    channel_id: int
    drill: bool = False
    summary_message_id: int | None = None
    page_message_ids: dict[tuple[int, int], int] = field(default_factory=dict)


class IncidentChannels:
    def __init__(self, bot: CrisisBot) -> None:
        self.bot = bot
        self._bindings: dict[str, ChannelBinding] = {}
        self._by_channel: dict[int, str] = {}
        self._recorded_messages: dict[int, str] = {}  # captured message id -> incident id
        #: thread id -> parent channel id, for threads seen in interactions but not cached
        self._thread_parents: dict[int, int] = {}
        #: held while an incident is declared and its channel created, and while missing
        #: channels are created, so no incident ever gets two channels
        self.opening = asyncio.Lock()
        self._next_missing_check = 0.0
        self.summaries: CoalescedRefresher[str] = CoalescedRefresher(
            self._refresh_summary, interval=bot.settings.summary_edit_interval_seconds
        )

    # -- lookups ---------------------------------------------------------------------------
    async def state(self, incident_id: str) -> IncidentState:
        return await self.bot.incidents.get(incident_id)

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
        cached = self.bot.get_channel(channel_id)
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
        channel = None if binding is None else self.bot.get_channel(binding.channel_id)
        return channel if isinstance(channel, discord.TextChannel) else None

    def binding(self, incident_id: str) -> ChannelBinding | None:
        return self._bindings.get(incident_id)

    def is_drill_channel(self, channel: ChannelRef) -> bool:
        incident_id = self.incident_for_channel(channel)
        binding = None if incident_id is None else self._bindings.get(incident_id)
        return binding is not None and binding.drill

    def incident_for_recorded_message(self, message_id: int) -> str | None:
        return self._recorded_messages.get(message_id)

    def protocol(self, state: IncidentState) -> Protocol:
        """The protocol ``state`` runs under: its declared snapshot, not the library's current."""
        return self.bot.incidents.protocol_for(state)

    def due_lines(self, state: IncidentState) -> list[DueLine]:
        now = self.bot.clock()
        return [
            DueLine(d.step_id, d.due_at, d.overdue)
            for d in due_steps(state, self.protocol(state), now)
        ]

    # -- writing ---------------------------------------------------------------------------
    async def execute(self, incident_id: str, command: Any) -> IncidentState:
        """Store ``command`` in the timeline, then schedule a (coalesced) summary refresh."""
        return (await self._store(incident_id, command))[0]

    async def execute_described(
        self, incident_id: str, command: Any, actor_mention: str
    ) -> tuple[IncidentState, str]:
        """:meth:`execute`, plus what was stored in words as exports show it (for the answer)."""
        state, stored = await self._store(incident_id, command)
        protocol = self.protocol(state)
        described = "; ".join(describe_event(record.event, protocol) for record in stored)
        return state, tagged(state, f"✏️ {described} (by {actor_mention})")

    async def _store(self, incident_id: str, command: Any) -> tuple[IncidentState, list[Any]]:
        stored = await self.bot.incidents.execute(incident_id, command)
        state = await self.state(incident_id)
        for message_id in state.messages:
            self._recorded_messages[int(message_id)] = incident_id
        self.summaries.request(incident_id)
        self.bot.dispatch("incident_changed", state)
        return state, stored

    def _overwrites(
        self, guild: discord.Guild, state: IncidentState
    ) -> dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite]:
        settings = self.bot.settings
        overwrites: dict[
            discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite
        ] = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            guild.me: _BOT_ACCESS,
        }
        for role_id in dict.fromkeys(
            [*settings.incident_admin_role_ids, *settings.responder_role_ids]
        ):
            role = guild.get_role(role_id)
            if role is None:
                log.warning("configured role %s is not in guild %s", role_id, guild.id)
                continue
            overwrites[role] = _MEMBER_ACCESS
        for user_id in state.participants:
            if user_id.isdigit() and int(user_id) != guild.me.id:
                overwrites[discord.Object(int(user_id))] = _MEMBER_ACCESS
        return overwrites

    def category(self, guild: discord.Guild) -> discord.CategoryChannel:
        category = guild.get_channel(self.bot.settings.incident_category_id)
        if not isinstance(category, discord.CategoryChannel):
            raise UserFacingError(
                f"The incident category {self.bot.settings.incident_category_id} is not a "
                "category of this server; fix discord.incident_category_id in the config."
            )
        return category

    async def open_channel(self, guild: discord.Guild, state: IncidentState) -> discord.TextChannel:
        """Create the incident's private channel (no messages yet; see :meth:`post_initial`)."""
        channel = await guild.create_text_channel(
            channel_name(state),
            category=self.category(guild),
            topic=channel_topic(state),
            overwrites=self._overwrites(guild, state),
            reason=f"crisisbot incident {state.id}",
        )
        self._bind(state.id, ChannelBinding(channel.id, drill=state.drill))
        return channel

    async def post_initial(self, channel: discord.TextChannel, state: IncidentState) -> list[str]:
        """Post and pin the summary, then one checklist message per page.

        Each post is best effort: a refused pin or post is logged and returned as a problem for
        the user, and the rest is still posted (a summary that could not be posted is posted at
        the next change; checklist buttons are re-creatable from the protocol).
        """
        protocol = self.protocol(state)
        binding = self._bindings[state.id]
        problems: list[str] = []
        await self._post_summary(channel, state, binding, problems)
        for page in checklist_pages(protocol):
            message = await best_effort(
                f"post the checklist of stage {page.stage_index + 1}",
                channel.send(
                    embed=checklist_embed(state, protocol, page), view=checklist_view(state, page)
                ),
                problems,
            )
            if message is not None:
                binding.page_message_ids[page.key] = message.id
        return list(dict.fromkeys(problems))

    async def _post_summary(
        self,
        channel: discord.TextChannel,
        state: IncidentState,
        binding: ChannelBinding,
        problems: list[str] | None = None,
    ) -> None:
        embed = summary_embed(state, self.protocol(state), self.due_lines(state))
        summary = await best_effort("post the summary", channel.send(embed=embed), problems)
        if summary is None:
            return
        binding.summary_message_id = summary.id
        await best_effort("pin the summary", self._pin(summary, state.id), problems)

    async def _pin(self, message: discord.Message, incident_id: str) -> None:
        """Pin ``message``; on a Discord that only knows the older pin route, use that one."""
        reason = f"crisisbot incident {incident_id} summary"
        try:
            await message.pin(reason=reason)
        except discord.NotFound as error:
            if error.code == 10008:  # Unknown Message: the route exists, the message does not
                raise
            route = discord.http.Route(
                "PUT",
                "/channels/{channel_id}/pins/{message_id}",
                channel_id=message.channel.id,
                message_id=message.id,
            )
            await self.bot.http.request(route, reason=reason)

    def _bind(self, incident_id: str, binding: ChannelBinding) -> None:
        self._bindings[incident_id] = binding
        self._by_channel[binding.channel_id] = incident_id

    async def channel_deleted(self, channel_id: int) -> None:
        """Someone deleted an incident's channel: create it again (the timeline has everything)."""
        incident_id = self._by_channel.pop(channel_id, None)
        if incident_id is None:
            return
        self._bindings.pop(incident_id, None)
        log.warning("channel of incident %s was deleted; creating it again", incident_id)
        await self.create_missing_channels(force=True)

    # -- re-rendering ----------------------------------------------------------------------
    def _checklist(
        self, state: IncidentState, step_id: str
    ) -> tuple[ChecklistPage, dict[str, Any]]:
        protocol = self.protocol(state)
        page = checklist_page_for_step(protocol, step_id)
        return page, {
            "embed": checklist_embed(state, protocol, page),
            "view": checklist_view(state, page),
        }

    async def answer_with_checklist(
        self, interaction: discord.Interaction, state: IncidentState, step_id: str
    ) -> None:
        """Acknowledge a click by re-rendering the checklist it came from (one REST call)."""
        page, content = self._checklist(state, step_id)
        binding = self._bindings.get(state.id)
        if binding is not None and interaction.message is not None:
            binding.page_message_ids.setdefault(page.key, interaction.message.id)
        await reply_for(interaction).edit(**content)

    async def refresh_all_checklists(self, state: IncidentState) -> None:
        """Re-render every checklist page (once, when the incident is concluded or closed)."""
        for page in checklist_pages(self.protocol(state)):
            await self.refresh_checklist(state, page.steps[0].id)

    async def refresh_checklist(self, state: IncidentState, step_id: str) -> None:
        """Edit the checklist message holding ``step_id`` (after a slash command changed it).

        Best effort: the step is stored already; a refused edit is logged and the message is
        re-rendered with the next change of that page. A checklist that is unknown (not found
        after a restart) or was deleted is posted again, so its buttons stay reachable.
        """
        page, content = self._checklist(state, step_id)
        binding = self._bindings.get(state.id)
        channel = self.incident_channel(state.id)
        if binding is None or channel is None:
            log.warning("incident %s has no channel; checklist not updated", state.id)
            return
        message_id = binding.page_message_ids.get(page.key)
        if message_id is not None:
            try:
                await channel.get_partial_message(message_id).edit(**content)
                return
            except discord.NotFound:
                log.warning("checklist of %s was deleted; posting it again", state.id)
            except discord.HTTPException as error:
                log.warning("could not update the checklist of %s: %s", state.id, error)
                return
        posted = await best_effort(f"post the checklist of {state.id}", channel.send(**content))
        if posted is not None:
            binding.page_message_ids[page.key] = posted.id

    async def _refresh_summary(self, incident_id: str) -> None:
        """Edit the pinned summary; post (and pin) a new one if it is unknown or was deleted."""
        binding = self._bindings.get(incident_id)
        channel = self.incident_channel(incident_id)
        if binding is None or channel is None:
            return
        state = await self.state(incident_id)
        if binding.summary_message_id is not None:
            embed = summary_embed(state, self.protocol(state), self.due_lines(state))
            try:
                await channel.get_partial_message(binding.summary_message_id).edit(embed=embed)
                return
            except discord.NotFound:
                log.warning("summary of %s was deleted; posting it again", incident_id)
                binding.summary_message_id = None
        await self._post_summary(channel, state, binding)

    async def send_role_instructions(
        self, state: IncidentState, role_id: str, user: discord.Member | discord.User
    ) -> str | None:
        """DM the role's instructions; a refusal (closed DMs) is logged and returned as a note
        for the assigner ("could not DM @x: ..."), never raised: the role is assigned anyway."""
        problems: list[str] = []
        await best_effort(
            f"DM {user.mention} the role's instructions",
            user.send(role_assignment_dm(state, self.protocol(state), role_id)),
            problems,
        )
        return problems[0] if problems else None

    # -- start-up --------------------------------------------------------------------------
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
        for state in await self.bot.incidents.list():
            channel = by_topic.get(state.id)
            if not state.is_open:  # closed: its channel still answers /incident export, status
                if channel is not None:
                    self._bind(state.id, ChannelBinding(channel.id, drill=state.drill))
                continue
            for message_id in state.messages:
                self._recorded_messages[int(message_id)] = state.id
            if channel is None:
                continue  # created below
            binding = ChannelBinding(channel.id, drill=state.drill)
            self._bind(state.id, binding)
            await best_effort(
                f"read the history of {channel.id}",
                self._find_own_messages(channel, state, binding),
            )
            self.summaries.request(state.id)  # posts a new summary if the old one was not found
        await self.create_missing_channels(force=True)
        log.info("re-bound %d incident channels", len(self._bindings))

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
                if state.id in self._bindings:
                    continue
                try:
                    channel = await self.open_channel(guild, state)
                except (discord.HTTPException, UserFacingError) as error:
                    log.warning("incident %s still has no channel: %s", state.id, error)
                    continue
                await self.post_initial(channel, state)
                created += 1
        return created

    async def _find_own_messages(
        self, channel: discord.TextChannel, state: IncidentState, binding: ChannelBinding
    ) -> None:
        protocol = self.protocol(state)
        pages = checklist_pages(protocol)
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

    async def close(self) -> None:
        await self.summaries.close()
