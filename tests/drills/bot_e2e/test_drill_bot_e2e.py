"""`/drill` end to end: the real discord.py bot (with the drills cog) against the fake Discord,
the real incident engine and the real hash database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.conftest import BotRunner, Services, Team
from tests.fake_discord import FakeDiscord
from tests.fake_discord.payloads import EPHEMERAL


def _contents(fake: FakeDiscord, channel_id: int) -> list[dict[str, Any]]:
    return [
        m for m in fake.messages.get(channel_id, []) if int(m["author"]["id"]) == fake.bot_user.id
    ]


async def _answer(fake: FakeDiscord, ix: Any) -> dict[str, Any]:
    return await fake.wait_for_interaction_response(ix)


@pytest.mark.timeout(60)
async def test_drill_start_injects_hash_pause_stop_and_report(
    fake: FakeDiscord,
    team: Team,
    services: Services,
    start_bot: BotRunner,
) -> None:
    async with start_bot() as bot:
        # a responder without the admin role may not start a drill
        ix = await fake.slash_command(
            "drill start",
            {"scenario": "false-alarm", "speed": 300.0},
            user=team.bob,
            channel=team.general,
        )
        refused = await _answer(fake, ix)
        assert (
            refused["data"]["flags"] & EPHEMERAL and "incident admin" in refused["data"]["content"]
        )

        ix = await fake.slash_command(
            "drill start",
            {"scenario": "false-alarm", "speed": 300.0},
            user=team.alice,
            channel=team.general,
        )
        assert (await _answer(fake, ix))["type"] == 4
        created = await fake.wait_for_request("POST", "/guilds/{guild_id}/channels")
        channel = created.response
        channel_id = int(channel["id"])
        (state,) = await services.incidents.list(open_only=True)
        assert state.drill is True and state.id.startswith("drill-")
        assert channel["name"].startswith(f"{state.id}-")  # once "drill-drill-…"

        # injects arrive on schedule; U1 (T+08:00 = 1.6 s at x300) comes with its picture
        await fake.wait_for(
            lambda: any("U1 ·" in m["content"] for m in _contents(fake, channel_id)),
            what="the U1 upload inject",
            timeout=20,
        )
        u1 = next(m for m in _contents(fake, channel_id) if "U1 ·" in m["content"])
        assert u1["content"].startswith("**[DRILL T+08:00]**")
        assert [a["filename"] for a in u1["attachments"]] == ["DRILL-U1.png"]

        ix = await fake.slash_command("drill pause", {}, user=team.alice, channel=channel)
        assert "paused" in (await _answer(fake, ix))["data"]["content"]
        ix = await fake.slash_command("drill pause", {}, user=team.mallory, channel=channel)
        assert "⛔" in (await _answer(fake, ix))["data"]["content"]
        ix = await fake.slash_command("drill pause", {}, user=team.alice, channel=channel)
        again = (await _answer(fake, ix))["data"]  # refused: no second pause note
        assert again["flags"] & EPHEMERAL and "already paused" in again["content"]

        # the hash coordinator adds U1's hash: it goes to the run's exercise list only
        ix = await fake.slash_command(
            "drill hash", {"upload": "U1"}, user=team.carol, channel=channel
        )
        added = (await _answer(fake, ix))["data"]
        assert (
            added["flags"] & EPHEMERAL
            and "added the pdq hash of U1 to drill:false-alarm:" in added["content"]
        )
        lists = await services.hashes.lists()
        assert [(hl.name.split(":")[0], hl.exercise) for hl in lists] == [("drill", True)]
        assert len(await services.hashes.entries(lists[0].name)) == 1
        ix = await fake.slash_command(
            "drill hash", {"upload": "U9"}, user=team.carol, channel=channel
        )
        assert "has been injected" in (await _answer(fake, ix))["data"]["content"]

        ix = await fake.slash_command("drill resume", {}, user=team.alice, channel=channel)
        assert "resumed" in (await _answer(fake, ix))["data"]["content"]
        ix = await fake.slash_command("drill resume", {}, user=team.alice, channel=channel)
        again = (await _answer(fake, ix))["data"]
        assert again["flags"] & EPHEMERAL and "not paused" in again["content"]
        notes = [
            n.text
            for n in (await services.incidents.get(state.id)).notes
            if " paused at " in n.text or " resumed at " in n.text
        ]
        assert len(notes) == 2, notes  # one pause, one resume
        ix = await fake.slash_command("drill stop", {}, user=team.alice, channel=channel)
        await _answer(fake, ix)
        await fake.wait_for(
            lambda: any("After-action report" in m["content"] for m in _contents(fake, channel_id)),
            what="the after-action report",
            timeout=20,
        )
        report = next(
            m for m in _contents(fake, channel_id) if "After-action report" in m["content"]
        )
        assert report["attachments"][0]["filename"].endswith("-aar.md")
        assert "missed" in report["content"]

        # every plain message the bot posted in the drill channel is marked DRILL
        for message in _contents(fake, channel_id):
            marked = "DRILL" in message["content"] or any(
                "DRILL" in (e.get("title") or "") for e in message.get("embeds", [])
            )
            assert marked, message
        # injects are in the timeline under their Discord message ids; the hash is linked
        state = await services.incidents.get(state.id)
        injected = [m for m in state.messages.values() if m.content.startswith("[DRILL inject")]
        assert injected and all(m.message_id.isdigit() for m in injected)
        assert u1["id"] in state.messages
        assert [h.list_name for h in state.linked_hashes.values()] == [lists[0].name]
        assert not bot.get_cog("Drills").runs[state.id].task.cancelled()
