"""Deadlines from the timeline: an overdue step pings the holders of its role; an escalation is
recorded once (also across a restart) and pings the roles the protocol names."""

from __future__ import annotations

from typing import Any

from bot.client import CrisisBot
from bot.cogs.deadlines import Deadlines
from tests.bot.conftest import BotRunner, Clock, Services, Team
from tests.bot.incident_flow import event_names, open_incident
from tests.fake_discord import FakeDiscord


def deadlines(bot: CrisisBot) -> Deadlines:
    cog = bot.get_cog("Deadlines")  # an instance of the extension's own (re)loaded module
    assert cog is not None and type(cog).__name__ == "Deadlines"
    return cog  # type: ignore[return-value]


def posts(fake: FakeDiscord, channel: dict[str, Any], start: str) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.messages[int(channel["id"])]
        if m.get("content", "").startswith(start) and int(m["author"]["id"]) == fake.bot_user.id
    ]


async def test_overdue_ping_then_escalation_recorded_once(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner, clock: Clock
) -> None:
    async with start_bot() as bot:
        channel, incident_id = await open_incident(fake, team, services)
        await deadlines(bot).tick()
        assert posts(fake, channel, "⏰") == []

        clock.advance(minutes=31)  # "situational-awareness" has a 30 minute target
        await deadlines(bot).tick()
        await deadlines(bot).tick()  # no second ping for the same deadline
        (ping,) = posts(fake, channel, "⏰")
        assert "Establish situational awareness" in ping["content"]
        assert f"<@{team.alice.id}>" in ping["content"]  # alice holds the lead role
        assert "EscalationRecorded" not in await event_names(services, incident_id)

        clock.advance(minutes=15)  # escalation 15 minutes after the target
        await deadlines(bot).tick()
        (escalation,) = posts(fake, channel, "🚨 Escalation")
        assert f"<@{team.alice.id}>" in escalation["content"]
        assert (await event_names(services, incident_id)).count("EscalationRecorded") == 1

    async with start_bot() as bot:  # after a restart the escalation does not fire again
        await deadlines(bot).tick()
        assert (await event_names(services, incident_id)).count("EscalationRecorded") == 1
        assert len(posts(fake, channel, "🚨 Escalation")) == 1


async def test_concluded_incidents_have_no_reminders(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner, clock: Clock
) -> None:
    async with start_bot() as bot:
        channel, incident_id = await open_incident(fake, team, services)
        for name, options in [
            ("incident activate", {"reason": "criteria met"}),
            ("incident conclude", {"summary": "over"}),
        ]:
            ix = await fake.slash_command(name, options, user=team.alice, channel=channel)
            await fake.wait_for_interaction_response(ix)
        clock.advance(hours=5)
        await deadlines(bot).tick()
        assert posts(fake, channel, "⏰") == [] and posts(fake, channel, "🚨 Escalation") == []
