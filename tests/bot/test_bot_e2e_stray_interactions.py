"""Interactions the bot has no handler for still get a private answer, and change nothing.

An independent client (or Discord itself, offering a stale version of a command or showing an old
message) can send a command name the bot's tree does not know, a command without an option it
needs, a click on a custom id no button of the bot carries, or a form submit no form matches.
Discord shows "This interaction failed" when nothing answers; the bot answers privately instead.
"""

from __future__ import annotations

import copy

from tests.bot.conftest import BotRunner, Services, Team
from tests.bot.incident_flow import event_names, message_with, open_incident, private_answer
from tests.fake_discord import FakeDiscord
from tests.fake_discord.state import FakeInteraction

MODAL_SUBMIT = 5
STRING, INTEGER, BOOLEAN = 3, 4, 5  # option types on the wire


async def _send(fake: FakeDiscord, ix: FakeInteraction) -> dict:
    ix.delivered_to = await fake.dispatch("INTERACTION_CREATE", ix.payload)
    return await private_answer(fake, ix)


async def test_unknown_commands_and_missing_options_are_answered_privately(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        before = await event_names(services, incident_id)

        ix = fake.interactions_factory.slash_command(
            "incident status", {}, user=team.bob, channel=channel
        )
        ix.payload["data"].update(name="frobnicate", id="1234")
        answer = await _send(fake, ix)
        assert "`/frobnicate` is not a command" in answer["data"]["content"]

        ix = fake.interactions_factory.slash_command(
            "incident status", {}, user=team.bob, channel=channel
        )
        ix.payload["data"]["options"][0]["name"] = "frob"
        answer = await _send(fake, ix)
        assert "`/incident frob` is not a command" in answer["data"]["content"]

        ix = fake.interactions_factory.slash_command(
            "incident note", {"text": "x"}, user=team.bob, channel=channel
        )
        ix.payload["data"]["options"][0]["options"] = []  # the required `text` left out
        answer = await _send(fake, ix)
        assert "`/incident note` arrived without an option" in answer["data"]["content"]
        assert "went wrong on our side" not in answer["data"]["content"]

        assert await event_names(services, incident_id) == before


#: (command, valid options, the option an older client sends otherwise, as what, what is said)
_UNFIT_OPTIONS = [
    ("incident correct", {"entry": 1, "reason": "r", "text": "x"}, "entry", "abc", STRING,
     "`entry` must be a whole number, but Discord sent 'abc'"),
    ("incident correct", {"entry": 1, "reason": "r", "text": "x"}, "entry", 0, INTEGER,
     "`entry` must be at least 1"),
    ("incident step", {"action": "done", "step": "situational-awareness"}, "action", "delete",
     STRING, "`action` must be one of `done`, `skip`, `reopen`"),
    ("incident note", {"text": "x"}, "text", "x" * 2001, STRING,
     "`text` must be at most 2000 characters long"),
    ("incident note", {"text": "x"}, "text", True, BOOLEAN, "`text` must be text"),
]  # fmt: skip


async def test_options_that_do_not_fit_the_command_are_refused_by_name(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    """Once a TypeError in protocols/decide.py and "something went wrong on our side"."""
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        before = await event_names(services, incident_id)
        for command, options, name, value, kind, needle in _UNFIT_OPTIONS:
            ix = fake.interactions_factory.slash_command(
                command, options, user=team.alice, channel=channel
            )
            (sub,) = ix.payload["data"]["options"]
            (option,) = [o for o in sub["options"] if o["name"] == name]
            option.update(value=value, type=kind)  # as a client with an older version sends it
            answer = await _send(fake, ix)
            assert needle in answer["data"]["content"], answer["data"]["content"]
            assert "nothing was changed" in answer["data"]["content"]
        assert await event_names(services, incident_id) == before


async def test_clicks_and_form_submits_nothing_handles_are_answered_privately(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        before = await event_names(services, incident_id)
        done = f"cb:step:{incident_id}:situational-awareness:done"
        checklist = message_with(fake, channel, done)

        for custom_id in ("incident:1:step:done", f"cb:step:{incident_id}:assess-criteria:x"):
            click = await fake.click(checklist, custom_id, user=team.alice, check=False)
            answer = await private_answer(fake, click)
            assert "not one the bot handles" in answer["data"]["content"]

        ix = fake.interactions_factory.component(checklist, done, user=team.alice)
        ix.payload["type"] = MODAL_SUBMIT
        ix.payload["data"] = {"custom_id": "old-form:1", "components": []}
        ix.type = MODAL_SUBMIT
        answer = await _send(fake, ix)
        assert "This form is not one the bot handles" in answer["data"]["content"]

        # a real button on a copy of the message without components still works
        stripped = {**copy.deepcopy(checklist), "components": []}
        skip = f"cb:step:{incident_id}:situational-awareness:skip"
        click = await fake.click(stripped, skip, user=team.alice, check=False)
        assert (await fake.wait_for_interaction_response(click))["type"] == 9  # the reason form
        assert len(click.callbacks) == 1

        assert await event_names(services, incident_id) == before
