"""Forms (modals) opened before a restart are submitted after it: the evidence and skip forms of
checklist buttons and the "Correct timeline entry" form are handled from their custom ids by a
new bot instance on the same database, recorded once, and answered as usual; access is still
checked."""

from __future__ import annotations

import asyncio
import copy

from bot.custom_ids import step_button_id
from tests.bot.conftest import BotRunner, Services, Team
from tests.bot.incident_flow import event_names, message_with, open_incident, private_answer
from tests.fake_discord import FakeDiscord, FakeInteraction


async def open_form(fake: FakeDiscord, interaction: FakeInteraction) -> FakeInteraction:
    assert (await fake.wait_for_interaction_response(interaction))["type"] == 9
    return interaction


async def test_forms_opened_before_a_restart_are_submitted_after_it(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        done = step_button_id(incident_id, "situational-awareness", "done")  # asks for evidence
        skip = step_button_id(incident_id, "assess-criteria", "skip")
        evidence_form = await open_form(
            fake, await fake.click(message_with(fake, channel, done), done, user=team.alice)
        )
        skip_form = await open_form(
            fake, await fake.click(message_with(fake, channel, skip), skip, user=team.alice)
        )
        message = await fake.post_message(channel, team.dave, "Stream on site A at 13:05")
        ix = await fake.message_command("Add to timeline", message, user=team.alice)
        await fake.wait_for_interaction_response(ix)
        correct_form = await open_form(
            fake, await fake.message_command("Correct timeline entry", message, user=team.alice)
        )
    before = await event_names(services, incident_id)

    async with start_bot():  # a new process: no modal object survives
        refused = await fake.submit_modal(skip_form, {"reason": "not mine"}, user=team.mallory)
        assert "responder" in (await fake.wait_for_interaction_response(refused))["data"]["content"]

        submit = await fake.submit_modal(evidence_form, {"evidence": "hub call 01:52", "note": ""})
        update = await fake.wait_for_interaction_response(submit)
        assert update["type"] == 7  # the checklist message the button was on is re-rendered
        assert "✅ **Establish situational awareness" in update["data"]["embeds"][0]["description"]

        submit = await fake.submit_modal(skip_form, {"reason": "criteria obviously met"})
        assert (await fake.wait_for_interaction_response(submit))["type"] == 7

        submit = await fake.submit_modal(
            correct_form, {"text": "Stream on site B at 13:05", "reason": "wrong site"}
        )
        answer = await fake.wait_for_interaction_response(submit)
        assert "Corrected entry #" in answer["data"]["content"]
        await asyncio.sleep(0.1)  # nothing else arrives: each submit is answered once
        submits = [i for i in fake.interactions.values() if i.type == 5]
        assert len(submits) == 4 and all(len(i.callbacks) == 1 for i in submits)

    state = await services.incidents.get(incident_id)
    assert state.step("situational-awareness").evidence == [("evidence", "hub call 01:52")]
    assert state.step("assess-criteria").status == "skipped"
    ((correction,),) = state.corrections.values()
    assert (correction.text, correction.reason) == ("Stream on site B at 13:05", "wrong site")
    after = await event_names(services, incident_id)
    assert after[len(before) :] == ["StepCompleted", "StepSkipped", "TimelineEntryCorrected"]


async def test_a_form_submitted_in_the_same_process_is_recorded_once(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        skip = step_button_id(incident_id, "assess-criteria", "skip")
        form = await open_form(
            fake, await fake.click(message_with(fake, channel, skip), skip, user=team.alice)
        )
        submit = await fake.submit_modal(form, {"reason": "criteria obviously met"})
        assert (await fake.wait_for_interaction_response(submit))["type"] == 7
        await asyncio.sleep(0.1)
        assert len(fake.interactions[submit.id].callbacks) == 1
        assert (await event_names(services, incident_id)).count("StepSkipped") == 1


async def test_a_click_the_engine_would_refuse_is_refused_before_its_form_opens(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    """Once the evidence form opened on a closed incident, and the refusal came only after the
    responder had typed the evidence. A client can still show the buttons enabled: a checklist
    not yet re-rendered, or an incident closed from the CLI."""
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        done = step_button_id(incident_id, "situational-awareness", "done")  # asks for evidence
        skip = step_button_id(incident_id, "assess-criteria", "skip")  # asks for a reason
        as_shown = copy.deepcopy(message_with(fake, channel, done))
        skip_shown = copy.deepcopy(message_with(fake, channel, skip))
        ix = await fake.slash_command(
            "incident close", {"reason": "false alarm"}, user=team.alice, channel=channel
        )
        await fake.wait_for_interaction_response(ix)
        before = await event_names(services, incident_id)

        for message, custom_id in [(as_shown, done), (skip_shown, skip)]:
            click = await fake.click(message, custom_id, user=team.alice, check=False)
            answer = await private_answer(fake, click)  # a message, not a form (type 9)
            assert "is closed" in answer["data"]["content"], custom_id
        assert await event_names(services, incident_id) == before
