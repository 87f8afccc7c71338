"""The incident timeline projected onto Discord: the private channel, pinned summary, checklists.

- :meth:`ChannelProjection.open_channel` creates the private channel (overwrites: @everyone
  cannot see it; the configured responder/admin roles, the named participants and the bot can)
  and :meth:`post_initial` posts the pinned summary and one checklist message per stage (five
  steps per message).
- Summary refreshes are coalesced per incident (``summary_edit_interval_seconds``,
  :attr:`summaries`), so bursts of clicks produce one edit, not one per click; a checklist is
  re-rendered when one of its steps changes.
- Every Discord call here comes after the timeline write and is best effort
  (``bot.errors.best_effort``): a refused pin, post, DM or edit is logged and told to the user,
  never raised.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.channel_directory import ChannelBinding
from bot.coalesced_refresher import CoalescedRefresher
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
    role_assignment_dm,
    summary_embed,
)
from bot.replies import reply_for
from protocols.state import IncidentState
from protocols.timers import due_steps

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["ChannelProjection"]

log = logging.getLogger(__name__)

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


class ChannelProjection:
    def __init__(self, bot: CrisisBot) -> None:
        self.bot = bot
        self.summaries: CoalescedRefresher[str] = CoalescedRefresher(
            self._refresh_summary, interval=bot.settings.summary_edit_interval_seconds
        )

    def due_lines(self, state: IncidentState) -> list[DueLine]:
        now = self.bot.clock()
        protocol = self.bot.incidents.protocol_for(state)
        return [DueLine(d.step_id, d.due_at, d.overdue) for d in due_steps(state, protocol, now)]

    # -- the channel -----------------------------------------------------------------------
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
        self.bot.channels.bind(state.id, ChannelBinding(channel.id, drill=state.drill))
        return channel

    async def post_initial(self, channel: discord.TextChannel, state: IncidentState) -> list[str]:
        """Post and pin the summary, then one checklist message per page.

        Each post is best effort: a refused pin or post is logged and returned as a problem for
        the user, and the rest is still posted (a summary that could not be posted is posted at
        the next change; checklist buttons are re-creatable from the protocol).
        """
        protocol = self.bot.incidents.protocol_for(state)
        binding = self.bot.channels.binding(state.id)
        if binding is None:  # open_channel binds it; a channel made elsewhere is bound here
            binding = ChannelBinding(channel.id, drill=state.drill)
            self.bot.channels.bind(state.id, binding)
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

    # -- the pinned summary ----------------------------------------------------------------
    async def _post_summary(
        self,
        channel: discord.TextChannel,
        state: IncidentState,
        binding: ChannelBinding,
        problems: list[str] | None = None,
    ) -> None:
        protocol = self.bot.incidents.protocol_for(state)
        embed = summary_embed(state, protocol, self.due_lines(state))
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

    async def _refresh_summary(self, incident_id: str) -> None:
        """Edit the pinned summary; post (and pin) a new one if it is unknown or was deleted."""
        binding = self.bot.channels.binding(incident_id)
        channel = self.bot.channels.incident_channel(incident_id)
        if binding is None or channel is None:
            return
        state = await self.bot.incidents.get(incident_id)
        if binding.summary_message_id is not None:
            protocol = self.bot.incidents.protocol_for(state)
            embed = summary_embed(state, protocol, self.due_lines(state))
            try:
                await channel.get_partial_message(binding.summary_message_id).edit(embed=embed)
                return
            except discord.NotFound:
                log.warning("summary of %s was deleted; posting it again", incident_id)
                binding.summary_message_id = None
        await self._post_summary(channel, state, binding)

    # -- checklists ------------------------------------------------------------------------
    def _checklist(
        self, state: IncidentState, step_id: str
    ) -> tuple[ChecklistPage, dict[str, Any]]:
        protocol = self.bot.incidents.protocol_for(state)
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
        binding = self.bot.channels.binding(state.id)
        if binding is not None and interaction.message is not None:
            binding.page_message_ids.setdefault(page.key, interaction.message.id)
        await reply_for(interaction).edit(**content)

    async def refresh_all_checklists(self, state: IncidentState) -> None:
        """Re-render every checklist page (once, when the incident is concluded or closed)."""
        for page in checklist_pages(self.bot.incidents.protocol_for(state)):
            await self.refresh_checklist(state, page.steps[0].id)

    async def refresh_checklist(self, state: IncidentState, step_id: str) -> None:
        """Edit the checklist message holding ``step_id`` (after a slash command changed it).

        Best effort: the step is stored already; a refused edit is logged and the message is
        re-rendered with the next change of that page. A checklist that is unknown (not found
        after a restart) or was deleted is posted again, so its buttons stay reachable.
        """
        page, content = self._checklist(state, step_id)
        binding = self.bot.channels.binding(state.id)
        channel = self.bot.channels.incident_channel(state.id)
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

    # -- direct messages -------------------------------------------------------------------
    async def send_role_instructions(
        self, state: IncidentState, role_id: str, user: discord.Member | discord.User
    ) -> str | None:
        """DM the role's instructions; a refusal (closed DMs) is logged and returned as a note
        for the assigner ("could not DM @x: ..."), never raised: the role is assigned anyway."""
        problems: list[str] = []
        protocol = self.bot.incidents.protocol_for(state)
        await best_effort(
            f"DM {user.mention} the role's instructions",
            user.send(role_assignment_dm(state, protocol, role_id)),
            problems,
        )
        return problems[0] if problems else None

    async def close(self) -> None:
        await self.summaries.close()
