"""``/incident ...``: open, drive, conclude, close and export incidents from Discord.

Each handler parses the input, calls one engine command through ``bot.timeline.execute`` (which
stores it in the timeline before anything is acknowledged) and renders the result. Commands other
than ``open`` act on the incident whose channel (or a thread of it) they are run in. Opening and
closing need the incident admin role; everything else the responder role (``CrisisCog.access``);
the engine then applies the protocol's own role permissions. Errors are handled by
``CrisisCog``'s hook.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Access, actor_for, has_access, require
from bot.cogs.base import CrisisCog
from bot.errors import UserFacingError, best_effort
from bot.people import Person
from bot.render import summary_embed, tagged
from protocols.actors import Actor
from protocols.commands import (
    ActivateIncident,
    AddNote,
    AdvanceStage,
    AssignRole,
    ChangeSeverity,
    Close,
    Command,
    CompleteStep,
    Conclude,
    CorrectTimelineEntry,
    DeclareIncident,
    Participant,
    ReopenStep,
    SkipStep,
)
from protocols.exports import describe_event
from protocols.state import IncidentState

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["Incidents", "setup"]

Choices = list[app_commands.Choice[str]]
_EXPORT_FORMATS = ("md", "json", "csv", "html")


def parse_time(value: str, timezone: str) -> datetime:
    """An ISO 8601 time typed by a responder; without an offset it is read in ``timezone``."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UserFacingError(
            f"`{value}` is not an ISO 8601 time; write it like 2026-03-15T14:32 (read in "
            f"{timezone}) or 2026-03-15T14:32+13:00."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(timezone))


def _matching(pairs: list[tuple[str, str]], current: str) -> Choices:
    """Up to 25 (name, value) choices whose name or value contains what was typed."""
    needle = current.lower()
    return [
        app_commands.Choice(name=name[:100], value=value)
        for name, value in pairs
        if needle in name.lower() or needle in value.lower()
    ][:25]


class Incidents(CrisisCog):
    incident = app_commands.Group(name="incident", description="Run a crisis incident")
    command_access = {"open": Access.ADMIN, "close": Access.ADMIN}
    private = frozenset({"open", "status"})

    # -- helpers -----------------------------------------------------------------------------
    async def _here(self, interaction: discord.Interaction) -> IncidentState:
        incident_id = self.bot.channels.require_incident_channel(interaction.channel)
        return await self.bot.incidents.get(incident_id)

    async def _act(
        self, interaction: discord.Interaction, make: Callable[[Actor], Command]
    ) -> IncidentState:
        """Store ``make(actor)`` for the incident of this channel (before anything is answered)."""
        incident_id = self.bot.channels.require_incident_channel(interaction.channel)
        actor = actor_for(self.bot.settings, interaction.user)
        return await self.bot.timeline.execute(incident_id, make(actor))

    async def open_incident(
        self,
        interaction: discord.Interaction,
        *,
        protocol_id: str,
        title: str,
        severity: str,
        drill: bool = False,
        participants: tuple[discord.abc.User, ...] = (),
    ) -> IncidentState:
        """Declare, create the channel, acknowledge, then post the summary and checklists.

        Shared with ``/drill`` (``drill=True``). The acknowledgement comes right after the
        channel exists so the command answers fast; the checklists follow in the channel. What
        Discord refused after that (a pin, a post) is told to the user privately.
        """
        require(self.bot.settings, interaction.user, Access.ADMIN)
        guild = interaction.guild
        home = self.bot.recovery.guild()
        if guild is None or home is None or guild.id != home.id:
            raise UserFacingError(
                "Incidents can only be opened in the server configured for them "
                "(discord.guild_id / discord.incident_category_id)."
            )
        self.bot.projection.category(guild)  # refuse a bad configuration before declaring
        async with self.bot.recovery.opening:  # no retry of missing channels in between
            state = await self.bot.incidents.declare(
                DeclareIncident(
                    protocol_id=protocol_id,
                    title=title,
                    severity=severity,
                    actor=actor_for(self.bot.settings, interaction.user),
                    drill=drill,
                    participants=tuple(
                        Participant(str(u.id), u.display_name) for u in participants
                    ),
                )
            )
            try:
                channel = await self.bot.projection.open_channel(guild, state)
            except discord.HTTPException as error:
                raise UserFacingError(
                    f"Incident `{state.id}` is recorded, but Discord refused to create its "
                    f"channel ({error.status}: {error.text or 'no reason given'}). Check the "
                    "bot's Manage Channels and Manage Roles permissions on the incident "
                    "category: the bot retries every minute and at start, so the channel appears "
                    "once Discord allows it. Do not open the incident again."
                ) from error
        reply = self.reply(interaction)
        await reply.send(tagged(state, f"Incident `{state.id}` opened: {channel.mention}"))
        problems = await self.bot.projection.post_initial(channel, state)
        if problems:
            await reply.whisper(f"Incident `{state.id}` is open, but " + "; ".join(problems) + ".")
        return state

    # -- autocomplete ------------------------------------------------------------------------
    async def _protocols(self, interaction: discord.Interaction, current: str) -> Choices:
        return _matching([(f"{p.name} ({p.id})", p.id) for p in self.bot.library.all()], current)

    async def _severities(self, interaction: discord.Interaction, current: str) -> Choices:
        protocol_id = getattr(interaction.namespace, "protocol", None)
        if protocol_id:  # /incident open: the protocol being chosen
            if protocol_id not in self.bot.library:
                return []
            protocol = self.bot.library.get(protocol_id)
        else:  # /incident escalate: the protocol the incident runs under
            incident_id = self.bot.channels.incident_for_channel(interaction.channel)
            if incident_id is None:
                return []
            protocol = self.bot.incidents.protocol_for(await self.bot.incidents.get(incident_id))
        levels = protocol.severity_levels
        return _matching([(f"{s.name} ({s.id})", s.id) for s in levels], current)

    async def _roles(self, interaction: discord.Interaction, current: str) -> Choices:
        incident_id = self.bot.channels.incident_for_channel(interaction.channel)
        if incident_id is None:
            return []
        state = await self.bot.incidents.get(incident_id)
        roles = self.bot.incidents.protocol_for(state).roles.values()
        return _matching([(r.name, r.id) for r in roles], current)

    async def _steps(self, interaction: discord.Interaction, current: str) -> Choices:
        incident_id = self.bot.channels.incident_for_channel(interaction.channel)
        if incident_id is None:
            return []
        state = await self.bot.incidents.get(incident_id)
        protocol = self.bot.incidents.protocol_for(state)
        icons = {"pending": "⬜", "done": "✅", "skipped": "⏭️"}
        return _matching(
            [(f"{icons[state.step(s.id).status]} {s.title}", s.id) for _, s in protocol.steps()],
            current,
        )

    async def _entries(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """Timeline entries, newest first, as ``#N what happened`` (corrections left out)."""
        incident_id = self.bot.channels.incident_for_channel(interaction.channel)
        if incident_id is None:
            return []
        state = await self.bot.incidents.get(incident_id)
        protocol = self.bot.incidents.protocol_for(state)
        needle = current.strip().lower().lstrip("#")
        choices = []
        for record in reversed(await self.bot.incidents.events(incident_id)):
            if state.is_correction(record.version):
                continue
            label = f"#{record.version} {describe_event(record.event, protocol)}"
            if needle in label.lower():
                choices.append(app_commands.Choice(name=label[:100], value=record.version))
            if len(choices) == 25:
                break
        return choices

    # -- commands ----------------------------------------------------------------------------
    @incident.command(name="open", description="Open an incident: private channel, checklists")
    @app_commands.describe(
        protocol="Which crisis protocol to follow",
        title="Short title, e.g. the place and kind of attack",
        severity="Severity level / activation tier of the protocol",
        participant1="Someone outside the responder roles who should see the channel",
    )
    @app_commands.autocomplete(protocol=_protocols, severity=_severities)
    async def open_(
        self,
        interaction: discord.Interaction,
        protocol: str,
        title: app_commands.Range[str, 1, 200],
        severity: str,
        participant1: Person | None = None,
        participant2: Person | None = None,
        participant3: Person | None = None,
    ) -> None:
        people = tuple(p for p in (participant1, participant2, participant3) if p is not None)
        await self.open_incident(
            interaction, protocol_id=protocol, title=title, severity=severity, participants=people
        )

    @incident.command(name="status", description="Show this incident's summary (only to you)")
    async def status(self, interaction: discord.Interaction) -> None:
        state = await self._here(interaction)
        protocol = self.bot.incidents.protocol_for(state)
        embed = summary_embed(state, protocol, self.bot.projection.due_lines(state))
        await self.reply(interaction).send(embed=embed)

    @incident.command(name="assign", description="Give someone an incident role")
    @app_commands.autocomplete(role=_roles)
    async def assign(self, interaction: discord.Interaction, role: str, user: Person) -> None:
        state = await self._act(
            interaction,
            lambda actor: AssignRole(role, str(user.id), user.display_name, actor=actor),
        )
        role_name = self.bot.incidents.protocol_for(state).role(role).name
        reply = self.reply(interaction)
        await reply.send(
            tagged(state, f"{user.mention} is now **{role_name}**."),
            allowed_mentions=discord.AllowedMentions(users=[user]),
        )
        problems: list[str] = []
        channel = self.bot.channels.incident_channel(state.id)  # also when run in a thread
        if not has_access(self.bot.settings, user, Access.RESPONDER) and channel is not None:
            await best_effort(
                f"give {user.mention} access to the incident channel",
                channel.set_permissions(  # a member overwrite; a plain User (not cached) works too
                    user,  # type: ignore[arg-type]
                    view_channel=True,
                    send_messages=True,
                    read_message_history=True,
                ),
                problems,
            )
        dm_problem = await self.bot.projection.send_role_instructions(state, role, user)
        if dm_problem:
            problems.append(dm_problem)
        if problems:
            await reply.whisper(f"{user.mention} holds the role, but " + "; ".join(problems) + ".")

    @incident.command(name="note", description="Add a note to the timeline")
    async def note(
        self, interaction: discord.Interaction, text: app_commands.Range[str, 1, 2000]
    ) -> None:
        state = await self._act(interaction, lambda actor: AddNote(text, actor=actor))
        await self.reply(interaction).send(
            tagged(state, f"📝 Note from {interaction.user.mention} recorded: {text}"),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @incident.command(
        name="step", description="Mark a step done, skip it (with a reason) or reopen it"
    )
    @app_commands.autocomplete(step=_steps)
    @app_commands.describe(
        reason="Required to skip or reopen", evidence="What was done (for steps that need it)"
    )
    async def step(
        self,
        interaction: discord.Interaction,
        action: Literal["done", "skip", "reopen"],
        step: str,
        reason: str | None = None,
        evidence: str | None = None,
    ) -> None:
        def command(actor: Actor) -> Command:
            if action == "done":
                return CompleteStep(step, note=reason or "", evidence=evidence, actor=actor)
            if action == "skip":
                return SkipStep(step, reason or "", actor=actor)
            return ReopenStep(step, reason or "", actor=actor)

        state = await self._act(interaction, command)
        title = self.bot.incidents.protocol_for(state).step(step).title
        verb = {"done": "✅ done", "skip": "⏭️ skipped", "reopen": "↩️ reopened"}[action]
        await self.reply(interaction).send(
            tagged(state, f"{verb}: **{title}** (by {interaction.user.mention})"),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        await self.bot.projection.refresh_checklist(state, step)

    @incident.command(name="escalate", description="Raise (or change) the incident's severity")
    @app_commands.autocomplete(severity=_severities)
    async def escalate(
        self,
        interaction: discord.Interaction,
        severity: str,
        reason: app_commands.Range[str, 1, 1000],
    ) -> None:
        state = await self._act(
            interaction, lambda actor: ChangeSeverity(severity, reason, actor=actor)
        )
        level = self.bot.incidents.protocol_for(state).severity(severity)
        await self.reply(interaction).send(
            tagged(state, f"⚠️ Severity is now **{level.name if level else severity}**: {reason}")
        )

    @incident.command(name="activate", description="Record the formal activation decision")
    async def activate(
        self, interaction: discord.Interaction, reason: app_commands.Range[str, 1, 1000]
    ) -> None:
        state = await self._act(interaction, lambda actor: ActivateIncident(reason, actor=actor))
        await self.reply(interaction).send(tagged(state, f"🚨 Incident activated: {reason}"))

    @incident.command(name="advance", description="Move on to the next stage now")
    async def advance(
        self, interaction: discord.Interaction, reason: app_commands.Range[str, 1, 1000]
    ) -> None:
        state = await self._act(interaction, lambda actor: AdvanceStage(reason, actor=actor))
        stage = self.bot.incidents.protocol_for(state).stages[state.stage_index]
        await self.reply(interaction).send(
            tagged(state, f"➡️ Now in stage {state.stage_index + 1}: **{stage.name}** ({reason})")
        )

    @incident.command(name="conclude", description="Conclude the incident with a summary")
    async def conclude(
        self, interaction: discord.Interaction, summary: app_commands.Range[str, 1, 2000]
    ) -> None:
        state = await self._act(interaction, lambda actor: Conclude(summary, actor=actor))
        await self.reply(interaction).send(tagged(state, f"🏁 Incident concluded: {summary}"))
        await self.bot.projection.refresh_all_checklists(state)  # buttons are disabled now

    @incident.command(name="close", description="Close the incident; its timeline becomes final")
    async def close(
        self, interaction: discord.Interaction, reason: app_commands.Range[str, 1, 1000]
    ) -> None:
        state = await self._act(interaction, lambda actor: Close(reason, actor=actor))
        await self.reply(interaction).send(tagged(state, f"🔒 Incident closed: {reason}"))
        await self.bot.projection.refresh_all_checklists(state)

    @incident.command(
        name="correct", description="Correct a timeline entry's text or time, or retract it"
    )
    @app_commands.describe(
        entry="The entry's number (# in exports); type to search",
        reason="Why the entry is corrected",
        text="The corrected wording",
        time="When it really happened, ISO 8601 (2026-03-15T14:32 is read in the bot's time zone)",
        retract="The entry should not have been recorded",
    )
    @app_commands.autocomplete(entry=_entries)
    async def correct(
        self,
        interaction: discord.Interaction,
        entry: app_commands.Range[int, 1],
        reason: app_commands.Range[str, 1, 1000],
        text: app_commands.Range[str, 1, 2000] | None = None,
        time: str | None = None,
        retract: bool = False,
    ) -> None:
        when = None if time is None else parse_time(time, self.bot.timezone)
        incident_id = self.bot.channels.require_incident_channel(interaction.channel)
        actor = actor_for(self.bot.settings, interaction.user)
        command = CorrectTimelineEntry(entry, reason, text, when, retract, actor=actor)
        _, answer = await self.bot.timeline.execute_described(
            incident_id, command, interaction.user.mention
        )
        await self.reply(interaction).send(answer, allowed_mentions=discord.AllowedMentions.none())

    @incident.command(name="export", description="Upload the incident's timeline as a file")
    async def export(
        self, interaction: discord.Interaction, format: Literal["md", "json", "csv", "html"]
    ) -> None:
        from protocols import export_incident

        state = await self._here(interaction)
        events = await self.bot.incidents.events(state.id)
        text = export_incident(
            state, events, self.bot.incidents.protocol_for(state), format, tz=self.bot.timezone
        )
        file = discord.File(io.BytesIO(text.encode("utf-8")), filename=f"{state.id}.{format}")
        await self.reply(interaction).send(
            tagged(state, f"Timeline of `{state.id}` ({format})"), file=file
        )

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.bot.recovery.channel_deleted(channel.id)


async def setup(bot: CrisisBot) -> None:
    await bot.add_cog(Incidents(bot))
