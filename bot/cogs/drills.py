"""``/drill ...``: run a tabletop drill scenario in a DRILL incident channel.

``/drill start scenario speed`` (incident admins) opens a drill incident through the incidents
cog (channel ``drill-…``, every message marked DRILL) and starts a :class:`DrillRunner` on it:
injects are posted on schedule (drill time runs ``speed`` times faster than real time; synthetic
uploads come as attached pictures), players answer with the usual ``/incident`` commands and
checklist buttons, and ``/drill hash upload`` adds an injected upload's hash to the run's
exercise-only list (never a real one). ``/drill pause``, ``/drill resume`` and ``/drill stop`` (in
the drill channel) control the run; at the end the after-action report is posted as a Markdown
file with a one-line summary.

The runner writes through ``bot.timeline.execute`` so the pinned summary follows the drill; the
bot's own deadline dispatcher handles overdue steps. A run survives a restart: its start, pauses,
resumes and end are exercise-control notes in the timeline (``protocols.drills.resume``), so once
incidents are resumed after a start, every open drill incident whose run has not ended plays on
from the timeline: injects already recorded are not delivered again, and those that fell due
while the bot was away are delivered at once, marked LATE. Stopping the bot is therefore not the
end of a run (no report is posted then); ``/drill stop`` and the scenario's end are.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Access, actor_for
from bot.cogs.base import CrisisCog
from bot.errors import UserFacingError
from protocols.commands import AddNote, Command, DeclareIncident
from protocols.drills import (
    DrillClock,
    DrillNotice,
    DrillRunner,
    ParticipantAction,
    create_runner,
    format_offset,
    render_report,
)
from protocols.drills.errors import DrillHalted
from protocols.drills.ports import PostedAt
from protocols.drills.resume import find_run, restored_log, run_control_note, run_started_note
from protocols.drills.run_log import ActionTaken
from protocols.drills.runner import CONTROLLER
from protocols.drills.scenario import Scenario
from protocols.errors import ProtocolError
from protocols.state import IncidentState
from protocols.store import StoredEvent
from protocols.timers import DueStep

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["ChannelSink", "Drills", "setup"]

log = logging.getLogger(__name__)
_LIMIT = 1900  # Discord allows 2000 characters per message
#: how long a stopping bot waits for a drill to finish the inject it is posting
HALT_SECONDS = 5.0


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
    """The incident engine as a drill run sees it (``DrillIncidents``): writes go through the
    bot's channel layer, so the pinned summary and checklist follow the drill; reads go to the
    incident service."""

    def __init__(self, bot: CrisisBot) -> None:
        self._bot = bot
        self._incidents = bot.incidents
        self.clock = bot.incidents.clock

    async def declare(self, cmd: DeclareIncident) -> IncidentState:
        return await self._incidents.declare(cmd)

    async def execute(self, incident_id: str, command: Command) -> list[StoredEvent]:
        await self._bot.timeline.execute(incident_id, command)
        return []

    async def get(self, incident_id: str) -> IncidentState:
        return await self._incidents.get(incident_id)

    async def events(self, incident_id: str) -> list[StoredEvent]:
        return await self._incidents.events(incident_id)

    def due(self, state: IncidentState, now: datetime | None = None) -> list[DueStep]:
        return self._incidents.due(state, now)

    def next_deadline(self, state: IncidentState, now: datetime | None = None) -> datetime | None:
        return self._incidents.next_deadline(state, now)


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
        self.scenarios = bot.scenarios
        self.runs: dict[str, _Run] = {}  # incident id -> running drill

    async def cog_unload(self) -> None:
        """The bot stops: the runs halt with it, without ending (they resume at the next start).

        Halting lets an inject being posted be recorded too, so it is not posted again later.
        """
        for run in self.runs.values():
            run.runner.halt()
        tasks = [run.task for run in self.runs.values()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=HALT_SECONDS)
            for task in late:
                task.cancel()

    async def _note(self, runner: DrillRunner, text: str) -> None:
        """An exercise-control note in the drill's timeline: what a resume reads back."""
        await self.bot.timeline.execute(runner.incident_id, AddNote(text, actor=CONTROLLER))

    def _runner(
        self,
        scenario: Scenario,
        state: IncidentState,
        channel: discord.TextChannel,
        clock: DrillClock,
        run_id: str | None = None,
    ) -> DrillRunner:
        return create_runner(
            scenario,
            library=self.bot.library,
            incidents=_ChannelIncidents(self.bot),
            exercise_hashes=self.bot.exercise_hashes,
            clock=clock,
            sink=ChannelSink(channel, channel.id),
            run_id=run_id,
            incident_id=state.id,
            timer=False,
        )

    def _play_in_background(self, runner: DrillRunner, channel: discord.abc.Messageable) -> None:
        task = asyncio.create_task(self._play(runner, channel), name=f"drill-{runner.incident_id}")
        self.runs[runner.incident_id] = _Run(runner, task)

    @commands.Cog.listener()
    async def on_incidents_resumed(self) -> None:
        """After a start: play on every drill run the timeline says has not ended."""
        for state in await self.bot.incidents.list(open_only=True):
            if state.drill and state.id not in self.runs:
                try:
                    await self._resume_run(state)
                except Exception:  # noqa: BLE001 - one broken run must not stop the others
                    log.exception("drill run of %s could not be resumed", state.id)

    async def _resume_run(self, state: IncidentState) -> None:
        events = [r.event for r in await self.bot.incidents.events(state.id)]
        record = find_run(events, actor_id=CONTROLLER.id, t0=state.opened_at)
        channel = self.bot.channels.incident_channel(state.id)
        if record is None or record.ended or channel is None:
            return
        scenario = self.scenarios.find(record.scenario_id)
        if scenario.version != record.version:
            await channel.send(
                f"**[DRILL]** Run `{record.run_id}` cannot go on after the restart: scenario "
                f"{scenario.id} is now v{scenario.version}, the run played v{record.version}."
            )
            return
        clock = record.clock(state.opened_at, self.bot.clock)
        runner = self._runner(scenario, state, channel, clock, record.run_id)
        exercise_list = runner.hashes.list_name
        runner.restore(
            *restored_log(
                events, scenario, actor_id=CONTROLLER.id, exercise_list=exercise_list, clock=clock
            )
        )
        await channel.send(
            f"**[DRILL {format_offset(clock.elapsed())}]** The bot restarted; run "
            f"`{record.run_id}` goes on{' (paused)' if clock.paused else ''}. Injects that fell "
            "due meanwhile follow now, marked LATE."
        )
        self._play_in_background(runner, channel)
        log.info("drill run %s of %s resumed", record.run_id, state.id)

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
        channel = self.bot.channels.incident_channel(state.id)
        if channel is None:
            raise UserFacingError(f"Drill incident `{state.id}` has no channel to play in.")
        clock = DrillClock(state.opened_at, speed=speed, wall=self.bot.clock)
        runner = self._runner(chosen, state, channel, clock)
        await runner.start()
        await self._note(runner, run_started_note(runner.run_id, chosen, speed))
        self._play_in_background(runner, channel)

    async def _play(self, runner: DrillRunner, channel: discord.abc.Messageable) -> None:
        try:
            report = await runner.run()
            await self._note_end(runner)
            text = render_report(report, "md", timezone=self.bot.timezone)
            summary = report.summary
            await channel.send(
                f"**[DRILL]** After-action report of run `{report.run_id}`: {summary['met']} "
                f"met, {summary['late']} late, {summary['missed']} missed.",
                file=discord.File(
                    io.BytesIO(text.encode("utf-8")), filename=f"DRILL-{report.run_id}-aar.md"
                ),
            )
        except DrillHalted:
            return  # the bot stops; the run goes on at the next start
        except Exception:  # noqa: BLE001 - a failed drill must not take the bot down; logged
            log.exception("drill %s failed", runner.incident_id)
            await channel.send("**[DRILL]** The drill stopped because of an internal error.")

    async def _note_end(self, runner: DrillRunner) -> None:
        """The run is over: note it, so that a restart does not resume it."""
        ended = runner.ended if runner.ended is not None else runner.clock.elapsed()
        try:
            await self._note(
                runner, run_control_note(runner.run_id, "ended", ended, runner.end_reason)
            )
        except ProtocolError as error:  # closed by the players: there is nothing to resume
            log.info("end of drill run %s not noted: %s", runner.run_id, error)

    @drill.command(name="pause", description="Pause the drill running in this channel")
    async def pause(self, interaction: discord.Interaction) -> None:
        runner = self._run_here(interaction).runner
        if runner.clock.paused:
            raise UserFacingError("The drill is already paused; `/drill resume` plays on.")
        await runner.pause()
        await self._note(runner, run_control_note(runner.run_id, "paused", runner.clock.elapsed()))
        await self.reply(interaction).send("**[DRILL]** paused")

    @drill.command(name="resume", description="Resume the paused drill in this channel")
    async def resume(self, interaction: discord.Interaction) -> None:
        runner = self._run_here(interaction).runner
        if not runner.clock.paused:
            raise UserFacingError("The drill is not paused; nothing to resume.")
        await runner.resume()
        await self._note(runner, run_control_note(runner.run_id, "resumed", runner.clock.elapsed()))
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
