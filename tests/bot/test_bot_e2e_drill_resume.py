"""A drill run started in Discord survives restarts: the next bot instance (same fake Discord,
same database) plays on from the timeline. Injects that fell due while the bot was down are
delivered once, marked LATE; none is delivered twice, across several restarts; uploads injected
before a restart can still be hashed; a run that ended is not resumed."""

from __future__ import annotations

import asyncio
import re

from tests.bot.conftest import BotRunner, Clock, Services, Team
from tests.fake_discord import FakeDiscord

_INJECT = re.compile(r"\*\*\[DRILL T\+[0-9:]+\]\*\* (?P<id>[A-Z][0-9]+) · (?P<text>.*)", re.S)
RESUMED = "The bot restarted"


def posted(fake: FakeDiscord, channel_id: int, needle: str = "") -> list[str]:
    """The bot's messages in the drill channel that contain ``needle``."""
    return [
        m["content"]
        for m in fake.messages.get(channel_id, [])
        if m["author"]["id"] == str(fake.bot_user.id) and needle in (m["content"] or "")
    ]


def injects(fake: FakeDiscord, channel_id: int) -> list[tuple[str, bool]]:
    """(inject id, marked late) of every inject posted in the channel, in order."""
    found = [_INJECT.match(text) for text in posted(fake, channel_id)]
    return [(m["id"], m["text"].startswith("LATE")) for m in found if m]


async def test_a_drill_run_resumes_after_restarts_and_delivers_missed_injects_once(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner, clock: Clock
) -> None:
    async with start_bot():
        ix = await fake.slash_command(
            "drill start",
            {"scenario": "false-alarm", "speed": 1.0},
            user=team.alice,
            channel=team.general,
        )
        await fake.wait_for_interaction_response(ix)
        created = await fake.wait_for_request("POST", "/guilds/{guild_id}/channels")
        channel_id = int(created.response["id"])
        await fake.wait_for(lambda: injects(fake, channel_id) == [("I1", False)], what="I1")
    (state,) = await services.incidents.list(open_only=True)

    clock.advance(minutes=10)  # down for ten minutes of drill time: S1 (T+05:00), U1 (T+08:00)
    async with start_bot():
        expected = [("I1", False), ("S1", True), ("U1", True)]
        await fake.wait_for(
            lambda: injects(fake, channel_id) == expected,
            what=lambda: f"late injects; posted {posted(fake, channel_id)[-3:]}",
        )
        assert len(posted(fake, channel_id, RESUMED)) == 1
        assert "LATE (due T+05:00" in posted(fake, channel_id, "S1 ·")[0]

    async with start_bot():  # straight away again: nothing new is due, nothing is repeated
        await fake.wait_for(lambda: len(posted(fake, channel_id, RESUMED)) == 2, what="resumed")
        ix = await fake.slash_command(
            "drill hash", {"upload": "U1"}, user=team.carol, channel=channel_id
        )
        answer = (await fake.wait_for_interaction_response(ix))["data"]["content"]
        assert "has been injected" not in answer, answer  # the upload is known after a restart
        assert injects(fake, channel_id) == expected

        ix = await fake.slash_command("drill stop", {}, user=team.alice, channel=channel_id)
        await fake.wait_for_interaction_response(ix)
        report = await fake.wait_for(
            lambda: posted(fake, channel_id, "After-action report"), what="report"
        )
        (message,) = [m for m in fake.messages[channel_id] if m["content"] == report[0]]
        markdown = fake.cdn_bytes(message["attachments"][0]["url"]).decode()
        assert "Injects delivered" in markdown and "3 of 6" in markdown  # before the restarts too
        assert "U1" in markdown  # the upload injected before a restart is in the report

    recorded = [
        m.content.split("]")[0]
        for m in (await services.incidents.get(state.id)).messages.values()
        if m.author_id == "drill-control"
    ]
    assert recorded == ["[DRILL inject I1", "[DRILL inject S1", "[DRILL inject U1"]

    async with start_bot():  # the run ended: a restart does not bring it back
        await asyncio.sleep(0.3)  # time for a resume, were there one
        assert len(posted(fake, channel_id, RESUMED)) == 2
        assert injects(fake, channel_id) == expected
