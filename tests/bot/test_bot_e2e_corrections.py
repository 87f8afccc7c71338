"""Timeline corrections from Discord: ``/incident correct`` (entry autocomplete, text, time,
retract) and the "Correct timeline entry" message menu on a captured message. The original entry
stays in the log; only the lead, a ``can_correct_timeline`` role or an admin may correct."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.bot.conftest import BotRunner, Services, Team
from tests.bot.incident_flow import event_names, open_incident
from tests.fake_discord import FakeDiscord
from tests.fake_discord.payloads import EPHEMERAL


async def test_correct_a_note_by_autocompleted_entry_with_text_and_time(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        ix = await fake.slash_command(
            "incident note", {"text": "Board decided at 14:23"}, user=team.alice, channel=channel
        )
        await fake.wait_for_interaction_response(ix)

        ix = await fake.autocomplete(
            "incident correct",
            {"entry": "board"},
            focused="entry",
            user=team.alice,
            channel=channel,
        )
        (choice,) = (await fake.wait_for_interaction_response(ix))["data"]["choices"]
        entry = choice["value"]
        assert choice["name"].startswith(f"#{entry} ") and "Board decided" in choice["name"]

        before = await event_names(services, incident_id)
        ix = await fake.slash_command(
            "incident correct",
            {"entry": entry, "reason": "not my role", "text": "x"},
            user=team.bob,  # a responder without an incident role
            channel=channel,
        )
        refusal = await fake.wait_for_interaction_response(ix)
        assert refusal["data"]["flags"] & EPHEMERAL and "may not" in refusal["data"]["content"]
        ix = await fake.slash_command(
            "incident correct",
            {"entry": entry, "reason": "typo", "time": "yesterday"},
            user=team.alice,
            channel=channel,
        )
        refusal = await fake.wait_for_interaction_response(ix)
        assert "is not an ISO 8601 time" in refusal["data"]["content"]
        assert await event_names(services, incident_id) == before

        ix = await fake.slash_command(
            "incident correct",
            {
                "reason": "typo in the minutes",  # options in another order
                "entry": entry,
                "text": "Board decided at 14:32",
                "time": "2026-03-15T14:32",
            },
            user=team.alice,
            channel=channel,
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert not answer["data"].get("flags", 0) & EPHEMERAL
        assert f"Corrected entry #{entry}" in answer["data"]["content"]
        (correction,) = (await services.incidents.get(incident_id)).corrections[entry]
        assert correction.text == "Board decided at 14:32"
        assert correction.time == datetime(2026, 3, 15, 14, 32, tzinfo=UTC)  # bot time zone: UTC
        assert (await event_names(services, incident_id))[-1] == "TimelineEntryCorrected"

        ix = await fake.slash_command(
            "incident export", {"format": "md"}, user=team.alice, channel=channel
        )
        await fake.wait_for_interaction_response(ix)
        upload = fake.calls("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
        text = upload[-1].files[0].data.decode()
        assert "Board decided at 14:23" in text and "Board decided at 14:32" in text


async def test_correct_a_captured_message_from_its_menu(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        message = await fake.post_message(channel, team.dave, "Stream on site A at 13:05")
        other = await fake.post_message(channel, team.dave, "never captured")
        ix = await fake.message_command("Add to timeline", message, user=team.alice)
        await fake.wait_for_interaction_response(ix)

        ix = await fake.message_command("Correct timeline entry", other, user=team.alice)
        refusal = await fake.wait_for_interaction_response(ix)
        assert "not in the timeline" in refusal["data"]["content"]

        ix = await fake.message_command("Correct timeline entry", message, user=team.alice)
        modal = await fake.wait_for_interaction_response(ix)
        assert modal["type"] == 9
        assert "Stream on site A at 13:05" in str(modal["data"]["components"])
        submit = await fake.submit_modal(
            ix, {"text": "Stream on site B at 13:05", "reason": "wrong site"}
        )
        answer = await fake.wait_for_interaction_response(submit)
        assert "Corrected entry #" in answer["data"]["content"]
        state = await services.incidents.get(incident_id)
        ((entry, (correction,)),) = state.corrections.items()
        assert correction.text == "Stream on site B at 13:05"
        assert correction.reason == "wrong site"
        assert state.messages[message["id"]].content == "Stream on site A at 13:05"  # original kept
