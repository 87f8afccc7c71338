"""The one timer dispatcher: overdue steps ping their owners, escalations follow the protocol.

Deadlines are not timers kept in memory: they are computed from the timeline
(``IncidentService.due``) every time the dispatcher wakes, so a restart loses nothing. The
dispatcher sleeps until the earliest next deadline of any open incident (at most
``POLL_SECONDS``), or until an incident changes (``on_incident_changed``), then runs :meth:`tick`.

- A step whose target has passed pings the holders of its responsible role in the incident
  channel, once per process (after a restart, still-overdue steps are pinged once more, as a
  reminder of what happened while the bot was away).
- An open incident whose channel Discord refused to create is retried, at most once a minute
  (``ChannelRecovery.create_missing_channels``).
- A step whose escalation time has passed is escalated: ``RecordEscalation`` is stored first
  (so it fires exactly once, across restarts), then the holders of the protocol's ``notify``
  roles are pinged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.access import service_actor
from bot.errors import best_effort
from bot.render import tagged
from protocols.actors import TIMELINE_RECORDER, Actor
from protocols.commands import RecordEscalation
from protocols.state import IncidentState
from protocols.timers import DueStep

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["POLL_SECONDS", "Deadlines", "setup"]

log = logging.getLogger(__name__)

POLL_SECONDS = 60.0


def _mentions(state: IncidentState, roles: tuple[str, ...]) -> list[int]:
    ids = {int(uid) for role in roles for uid in state.holders(role) if uid.isdigit()}
    return sorted(ids)


class Deadlines(commands.Cog):
    def __init__(self, bot: CrisisBot) -> None:
        self.bot = bot
        self._wake = asyncio.Event()
        self._pinged: set[tuple[str, str, object]] = set()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one tick at a time, whoever triggers it

    async def cog_load(self) -> None:
        self._task = asyncio.create_task(self._run(), name="crisisbot-deadlines")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @commands.Cog.listener()
    async def on_incident_changed(self, state: IncidentState) -> None:
        self._wake.set()

    @commands.Cog.listener()
    async def on_incidents_resumed(self) -> None:
        self._wake.set()

    def _actor(self) -> Actor:
        return service_actor(self.bot.user, TIMELINE_RECORDER)

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        await self._wake.wait()  # first wake-up: incidents resumed
        while not self.bot.is_closed():
            self._wake.clear()
            try:
                delay = await self.tick()
            except Exception:  # noqa: BLE001 - the dispatcher must survive a bad tick
                log.exception("deadline tick failed")
                delay = POLL_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def tick(self) -> float:
        """Act on everything due now; return how many seconds to sleep until the next deadline."""
        async with self._lock:
            return await self._tick()

    async def _tick(self) -> float:
        await self.bot.recovery.create_missing_channels()  # refused before: retry, once a minute
        now = self.bot.clock()
        soonest = POLL_SECONDS
        for state in await self.bot.incidents.list(open_only=True):
            if self.bot.channels.binding(state.id) is None or state.status == "concluded":
                continue
            for due in self.bot.incidents.due(state, now):
                await self._act(state, due)
            deadline = self.bot.incidents.next_deadline(state, now)
            if deadline is not None:
                soonest = min(soonest, max((deadline - now).total_seconds(), 0.0))
        return soonest

    async def _act(self, state: IncidentState, due: DueStep) -> None:
        if due.escalation_due:
            state = await self.bot.timeline.execute(
                state.id, RecordEscalation(due.step_id, due.notify_roles, actor=self._actor())
            )
            await self._post(
                state,
                due.notify_roles,
                f"🚨 Escalation: **{due.title}** is overdue since "
                f"{discord.utils.format_dt(due.due_at, 'R')}.",
            )
        elif due.overdue and (state.id, due.step_id, due.due_at) not in self._pinged:
            self._pinged.add((state.id, due.step_id, due.due_at))
            await self._post(state, (due.role,), f"⏰ Overdue: **{due.title}**.")
            self.bot.projection.summaries.request(state.id)

    async def _post(self, state: IncidentState, roles: tuple[str, ...], text: str) -> None:
        channel = self.bot.channels.incident_channel(state.id)
        if channel is None:
            return
        users = _mentions(state, roles)
        who = " ".join(f"<@{uid}>" for uid in users) or "(nobody holds the role yet: assign it!)"
        await best_effort(  # a refused ping must not stop the other incidents' deadlines
            f"post a deadline reminder in {channel.id}",
            channel.send(
                tagged(state, f"{text} {who}"),
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(u) for u in users]),
            ),
        )


async def setup(bot: CrisisBot) -> None:
    await bot.add_cog(Deadlines(bot))
