"""``/drill ...``: run a tabletop drill scenario in a DRILL incident channel.

``/drill start scenario speed`` (incident admins) opens a drill incident through the incidents
cog (channel ``drill-…``, every message marked DRILL) and starts a :class:`DrillRunner` on it:
injects are posted on schedule (drill time runs ``speed`` times faster than real time; synthetic
uploads come as attached pictures), players answer with the usual ``/incident`` commands and
checklist buttons, and ``/drill hash upload`` adds an injected upload's hash to the run's
exercise-only list (never a real one). ``/drill pause``, ``/drill resume`` and ``/drill stop`` (in
the drill channel) control the run; at the end the after-action report is posted as a Markdown
file with a one-line summary.

The runner writes through ``bot.channels.execute`` so the pinned summary follows the drill; the
bot's own deadline dispatcher handles overdue steps. A run lives in memory: after a restart the
drill incident stays open without further injects (start a new run).
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.access import Access, actor_for
from bot.cogs.base import CrisisCog
from bot.errors import UserFacingError
from protocols.drills import (
    DrillClock,
    DrillNotice,
    DrillRunner,
    ParticipantAction,
    ScenarioLibrary,
    create_runner,
    format_offset,
    render_report,
)
from protocols.drills.ports import PostedAt
from protocols.drills.run_log import ActionTaken

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["ChannelSink", "Drills", "setup"]

log = logging.getLogger(__name__)
_LIMIT = 1900  # Discord allows 2000 characters per message


class ChannelSink:
    """Posts drill notices in the drill channel, each marked ``[DRILL T+mm:ss]``."""

    def __init__(self, channel: discord.abc.Messageable, channel_id: int) -> None:
        self.channel = channel
        self.channel_id = channel_id

    async def show(self, notice: DrillNotice) -> PostedAt | None:
        text = f"**[DRILL {format_offset(notice.at)}]** {notice.text}"
        if len(text) > _LIMIT:
            text = text[: _LIMIT - 1] + "…"
        kwargs: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
        if notice.image is not None:
            name = f"DRILL-{notice.inject_id or 'upload'}.png"
            kwargs["file"] = discord.File(io.BytesIO(notice.image), filename=name)
        message = await self.channel.send(text, **kwargs)
        return str(self.channel_id), str(message.id)


class _ChannelIncidents:
    """The incident service as the runner sees it, writing through the bot's channel layer."""

    def __init__(self, bot: CrisisBot) -> None:
        self._bot = bot
        self.clock = bot.incidents.clock

    async def execute(self, incident_id: str, command: Any) -> list[Any]:
        await self._bot.channels.execute(incident_id, command)
        return []

    def __getattr__(self, name: str) -> Any:  # get, events, due, next_deadline, declare
        return getattr(self._bot.incidents, name)


@dataclass
class _Run:
    runner: DrillRunner
    task: asyncio.Task[None]


class Drills(CrisisCog):
    drill = app_commands.Group(name="drill", description="Tabletop drills (marked DRILL)")
    command_access = {
        "start": Access.ADMIN,
        "pause": Access.ADMIN,
        "resume": Access.ADMIN,
        "stop": Access.ADMIN,
    }
    private = frozenset({"start", "pause", "resume", "stop", "hash"})

    def __init__(self, bot: CrisisBot) -> None:
        super().__init__(bot)
        self.scenarios = ScenarioLibrary(bot.library, bot.drill_dirs)
        self.runs: dict[str, _Run] = {}  # incident id -> running drill

    async def cog_unload(self) -> None:
        for run in self.runs.values():
            await run.runner.stop()
            run.task.cancel()

    def _run_here(self, interaction: discord.Interaction) -> _Run:
        incident_id = self.bot.channels.require_incident_channel(interaction.channel)
        run = self.runs.get(incident_id)
        if run is None or run.task.done():
            raise UserFacingError("No drill is running in this channel.")
        return run

    async def _scenario_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.lower()
        return [
            app_commands.Choice(name=f"{s.title} ({s.id})"[:100], value=s.id)
            for s in self.scenarios.all()
            if needle in s.id.lower() or needle in s.title.lower()
        ][:25]

    @drill.command(name="start", description="Start a drill scenario in a new DRILL channel")
    @app_commands.describe(
        scenario="Which drill scenario to play",
        speed="How much faster than real time the drill runs (1 = real time)",
    )
    @app_commands.autocomplete(scenario=_scenario_choices)
    async def start(
        self,
        interaction: discord.Interaction,
        scenario: str,
        speed: app_commands.Range[float, 0.1, 1000.0] = 1.0,
    ) -> None:
        chosen = self.scenarios.find(scenario)
        incidents_cog = self.bot.get_cog("Incidents")
        if incidents_cog is None:
            raise UserFacingError("The incidents feature is not loaded; drills need it.")
        state = await incidents_cog.open_incident(  # type: ignore[attr-defined]
            interaction,
            protocol_id=chosen.protocol,
            title=chosen.title,
            severity=chosen.severity,
            drill=True,
        )
        binding = self.bot.channels.binding(state.id)
        channel = None if binding is None else self.bot.get_channel(binding.channel_id)
        if binding is None or not isinstance(channel, discord.abc.Messageable):
            raise UserFacingError(f"Drill incident `{state.id}` has no channel to play in.")
        runner = create_runner(
            chosen,
            library=self.bot.library,
            incidents=_ChannelIncidents(self.bot),  # type: ignore[arg-type]
            hash_service=self.bot.hashes,
            clock=DrillClock(state.opened_at, speed=speed, wall=self.bot.clock),
            sink=ChannelSink(channel, binding.channel_id),
            incident_id=state.id,
            timer=False,
        )
        await runner.start()
        task = asyncio.create_task(self._play(runner, channel), name=f"drill-{state.id}")
        self.runs[state.id] = _Run(runner, task)

    async def _play(self, runner: DrillRunner, channel: discord.abc.Messageable) -> None:
        try:
            report = await runner.run()
            text = render_report(report, "md", timezone=self.bot.timezone)
            summary = report.summary
            await channel.send(
                f"**[DRILL]** After-action report of run `{report.run_id}`: {summary['met']} "
                f"met, {summary['late']} late, {summary['missed']} missed.",
                file=discord.File(
                    io.BytesIO(text.encode("utf-8")), filename=f"DRILL-{report.run_id}-aar.md"
                ),
            )
        except Exception:  # noqa: BLE001 - a failed drill must not take the bot down; logged
            log.exception("drill %s failed", runner.incident_id)
            await channel.send("**[DRILL]** The drill stopped because of an internal error.")

    @drill.command(name="pause", description="Pause the drill running in this channel")
    async def pause(self, interaction: discord.Interaction) -> None:
        await self._run_here(interaction).runner.pause()
        await self.reply(interaction).send("**[DRILL]** paused")

    @drill.command(name="resume", description="Resume the paused drill in this channel")
    async def resume(self, interaction: discord.Interaction) -> None:
        await self._run_here(interaction).runner.resume()
        await self.reply(interaction).send("**[DRILL]** resumed")

    @drill.command(name="stop", description="Stop the drill and post its after-action report")
    async def stop(self, interaction: discord.Interaction) -> None:
        run = self._run_here(interaction)
        await self.reply(interaction).send("**[DRILL]** stopping…")
        await run.runner.stop()
        await run.task

    @drill.command(name="hash", description="Add an injected upload's hash to the drill list")
    @app_commands.describe(upload="The upload inject's id, e.g. U1")
    async def hash(self, interaction: discord.Interaction, upload: str) -> None:
        runner = self._run_here(interaction).runner
        actor = actor_for(self.bot.settings, interaction.user)
        action = ParticipantAction(by=actor.name, verb="hash", upload=upload.strip())
        accepted = await runner.act(action, actor=actor)
        outcome = next(e for e in reversed(runner.log) if isinstance(e, ActionTaken))
        prefix = "**[DRILL]** " if accepted else "**[DRILL]** ⚠️ "
        await self.reply(interaction).send(prefix + outcome.message)


async def setup(bot: CrisisBot) -> None:
    await bot.add_cog(Drills(bot))
