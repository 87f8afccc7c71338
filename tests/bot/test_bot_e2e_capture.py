"""Timeline capture: a message added through the context menu or the 📌 reaction is recorded with
its own time and author, its images as hashes; later edits and deletion are recorded too."""

from __future__ import annotations

import asyncio
from datetime import datetime

from tests.bot.conftest import BotRunner, Services, Team, sample_image
from tests.bot.incident_flow import event_names, open_incident
from tests.fake_discord import FakeDiscord
from tests.fake_discord.payloads import EPHEMERAL


async def settled(services: Services, incident_id: str, name: str, count: int = 1) -> None:
    for _ in range(250):
        if (await event_names(services, incident_id)).count(name) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} not recorded")


async def test_context_menu_records_message_then_edit_and_delete(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        message = await fake.post_message(
            channel, team.bob, "Copy on a file host", attachments=[("still.png", sample_image(3))]
        )
        ix = await fake.message_command("Add to timeline", message, user=team.alice)
        answer = await fake.wait_for_interaction_response(ix)
        assert answer["data"]["flags"] & EPHEMERAL
        assert "Added to the timeline" in answer["data"]["content"]

        captured = (await services.incidents.get(incident_id)).messages[message["id"]]
        assert captured.author_id == str(team.bob.id)
        assert captured.posted_at == datetime.fromisoformat(message["timestamp"])
        assert {signal for signal, _ in captured.image_hashes} == {"md5", "sha256", "pdq", "phash"}

        ix = await fake.message_command("Add to timeline", message, user=team.alice)
        assert (
            "Already in the timeline"
            in (await fake.wait_for_interaction_response(ix))["data"]["content"]
        )
        ix = await fake.message_command("Add to timeline", message, user=team.mallory)
        assert "responder role" in (await fake.wait_for_interaction_response(ix))["data"]["content"]

        await fake.edit_message(message, "Copy on a file host (taken down)")
        await settled(services, incident_id, "MessageEdited")
        await fake.delete_message(message)
        await settled(services, incident_id, "MessageDeleted")
        captured = (await services.incidents.get(incident_id)).messages[message["id"]]
        assert captured.content == "Copy on a file host (taken down)"
        assert captured.edits[0][1] == "Copy on a file host"
        assert captured.deleted_at is not None


async def test_reaction_capture_needs_a_responder_and_skips_other_channels(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        outside = await fake.post_message(team.general, team.bob, "not an incident channel")
        ignored = await fake.post_message(channel, team.dave, "reacted by an outsider")
        kept = await fake.post_message(channel, team.dave, "reacted by a responder")
        await fake.react(outside, "📌", user=team.bob)
        await fake.react(ignored, "📌", user=team.mallory)
        await fake.react(kept, "👍", user=team.bob)
        await fake.react(kept, "📌", user=team.bob)
        await settled(services, incident_id, "MessageRecorded")
        await asyncio.sleep(0.1)
        messages = (await services.incidents.get(incident_id)).messages
        assert list(messages) == [kept["id"]]
        assert messages[kept["id"]].author_id == str(team.dave.id)
