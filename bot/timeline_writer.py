"""Writing to an incident from Discord: the timeline first, then Discord follows.

:meth:`TimelineWriter.execute` stores an engine command (the timeline is written before anything
is acknowledged), notes the chat messages the timeline now holds (so their edits and deletions
are captured), asks for a coalesced refresh of the pinned summary and tells the cogs
(``incident_changed``). Every cog, button, form and drill run writes through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.render import tagged
from protocols.commands import Command
from protocols.exports import describe_event
from protocols.state import IncidentState
from protocols.store import StoredEvent

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["TimelineWriter"]


class TimelineWriter:
    def __init__(self, bot: CrisisBot) -> None:
        self.bot = bot

    async def execute(self, incident_id: str, command: Command) -> IncidentState:
        """Store ``command`` in the timeline, then schedule a (coalesced) summary refresh."""
        return (await self._store(incident_id, command))[0]

    async def execute_described(
        self, incident_id: str, command: Command, actor_mention: str
    ) -> tuple[IncidentState, str]:
        """:meth:`execute`, plus what was stored in words as exports show it (for the answer)."""
        state, stored = await self._store(incident_id, command)
        protocol = self.bot.incidents.protocol_for(state)
        described = "; ".join(describe_event(record.event, protocol) for record in stored)
        return state, tagged(state, f"✏️ {described} (by {actor_mention})")

    async def _store(
        self, incident_id: str, command: Command
    ) -> tuple[IncidentState, list[StoredEvent]]:
        stored = await self.bot.incidents.execute(incident_id, command)
        state = await self.bot.incidents.get(incident_id)
        self.bot.channels.record_messages(incident_id, state.messages)
        self.bot.projection.summaries.request(incident_id)
        self.bot.dispatch("incident_changed", state)
        return state, stored
