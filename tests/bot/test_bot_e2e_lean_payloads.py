"""Another Discord's payloads: only the fields Discord documents as always present.

The fake in ``minimal_payloads`` mode leaves out locales, ``app_permissions``,
``attachment_size_limit``, ``version``, member nick/flags/permissions, attachment content types,
and sends user options as a bare id with nothing resolved; gateway events without the optional
``member`` or with a partial MESSAGE_UPDATE are dispatched raw, and interaction callbacks may be
answered without a body. The bot must act as usual.
"""

from __future__ import annotations

import asyncio

from bot.custom_ids import step_button_id
from tests.bot.conftest import BotRunner, Services, Team, list_with_pdq_of, sample_image
from tests.bot.incident_flow import event_names, message_with, open_incident
from tests.bot.test_bot_e2e_capture import settled
from tests.fake_discord import FakeDiscord
from tests.fake_discord.payloads import EPHEMERAL, OVERWRITE_MEMBER, VIEW_CHANNEL
from tests.fake_discord.rest import reaction_event


async def test_commands_and_buttons_work_with_minimal_interaction_payloads(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    fake.minimal_payloads = True
    fake.rest.callback_bodies = False  # callbacks answered 204, as without `with_response`
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services, participant1=team.dave)
        create = fake.calls("POST", "/guilds/{guild_id}/channels")[0].json
        overwrites = {(int(o["type"]), int(o["id"])) for o in create["permission_overwrites"]}
        assert (OVERWRITE_MEMBER, team.dave.id) in overwrites  # a bare id, resolved by the bot

        ix = await fake.slash_command(
            "incident assign",
            {"user": team.dave, "role": "platform-liaison"},  # options in another order
            user=team.alice,
            channel=channel,
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert f"<@{team.dave.id}> is now" in answer["data"]["content"]
        await fake.wait_for(lambda: fake.dm_messages(team.dave), what="DM to dave")
        assert team.guild.permissions_for(team.dave.id, int(channel["id"])) & VIEW_CHANNEL
        state = await services.incidents.get(incident_id)
        assert state.holders("platform-liaison") == {str(team.dave.id): "dave"}

        own = step_button_id(incident_id, "brief-communications", "own")
        click = await fake.click(message_with(fake, channel, own), own, user=team.alice)
        answer = await fake.wait_for_interaction_response(click)
        assert answer["type"] == 7, answer
        assert (await event_names(services, incident_id)).count("RoleAssigned") == 3


async def test_attachments_without_content_type_and_with_uppercase_names_are_hashed(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    image = sample_image(5)
    pdq = await list_with_pdq_of(services, image)
    fake.minimal_payloads = True
    async with start_bot():
        attachment = fake.make_attachment(image, "SCAN.PNG", content_type=None)
        ix = await fake.slash_command(
            "hash check", {"attachment": attachment}, user=team.bob, channel=team.general
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert answer["data"]["flags"] & EPHEMERAL
        assert "`pdq` distance **0**" in answer["data"]["content"]

        channel, incident_id = await open_incident(fake, team, services)
        message = await fake.post_message(
            channel, team.dave, "still", attachments=[("STILL.JPG", image)]
        )
        ix = fake.interactions_factory.message_command("Add to timeline", message, user=team.bob)
        del ix.payload["data"]["type"]  # not even the command type: the bot infers it
        await fake.dispatch("INTERACTION_CREATE", ix.payload)
        assert (
            "Added to the timeline"
            in (await fake.wait_for_interaction_response(ix))["data"]["content"]
        )
        captured = (await services.incidents.get(incident_id)).messages[message["id"]]
        assert captured.author_id == str(team.dave.id)
        assert ("pdq", pdq) in captured.image_hashes


async def test_reaction_without_member_and_partial_message_updates(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        message = await fake.post_message(channel, team.dave, "first report")
        event = reaction_event(fake.state, message, "📌", team.bob.id)
        event["member"].pop("user")  # a member without its user: unusable, looked up instead
        await fake.dispatch("MESSAGE_REACTION_ADD", event)
        await settled(services, incident_id, "MessageRecorded")
        await fake.wait_for_request("GET", "/guilds/{guild_id}/members/{user_id}")
        await fake.wait_for_request(
            "PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
        )

        base = {"id": message["id"], "channel_id": channel["id"], "guild_id": str(team.guild.id)}
        unfurl = {**base, "embeds": []}
        edit = {**base, "content": "first report (corrected)", "edited_timestamp": None}
        for update in (unfurl, edit, edit):  # an unfurl, an edit, the edit replayed
            await fake.dispatch("MESSAGE_UPDATE", update)
        await settled(services, incident_id, "MessageEdited")
        for _ in range(2):  # deletion replayed
            await fake.dispatch("MESSAGE_DELETE", base)
        await settled(services, incident_id, "MessageDeleted")
        await asyncio.sleep(0.1)
        names = await event_names(services, incident_id)
        assert names.count("MessageEdited") == 1 and names.count("MessageDeleted") == 1
        captured = (await services.incidents.get(incident_id)).messages[message["id"]]
        assert captured.content == "first report (corrected)"


async def test_clicks_without_the_button_or_the_message_still_reach_the_button(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        for step, strip in [("brief-communications", "components"), ("alert-members", "message")]:
            take = step_button_id(incident_id, step, "own")
            ix = fake.interactions_factory.component(
                message_with(fake, channel, take), take, user=team.alice
            )
            if strip == "components":
                ix.payload["message"] = {**ix.payload["message"], "components": []}
            else:
                del ix.payload["message"]
            await fake.dispatch("INTERACTION_CREATE", ix.payload)
            answer = await fake.wait_for_interaction_response(ix)
            assert answer["type"] == 7, answer
        state = await services.incidents.get(incident_id)
        assert state.holders("communications") and state.holders("platform-liaison")
