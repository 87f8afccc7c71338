"""Threads of an incident channel belong to its incident: slash commands, autocomplete and
captures work there as in the channel itself (a thread known from the gateway cache, or only from
the interaction's own channel object), across a restart; threads elsewhere are still refused, and
a thread of a watched channel is watched."""

from __future__ import annotations

from tests.bot.conftest import BotRunner, Services, Team, list_with_pdq_of, sample_image
from tests.bot.incident_flow import event_names, open_incident, recorded
from tests.fake_discord import FakeDiscord

MESSAGE = "/channels/{channel_id}/messages/{message_id}"


async def test_commands_autocomplete_and_captures_work_in_a_thread(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        thread = await fake.create_thread(channel, "platform liaison", owner=team.bob)

        ix = await fake.slash_command(
            "incident note", {"text": "from the thread"}, user=team.alice, channel=thread
        )
        assert "Note from" in (await fake.wait_for_interaction_response(ix))["data"]["content"]
        assert [n.text for n in (await services.incidents.get(incident_id)).notes] == [
            "from the thread"
        ]

        ix = await fake.autocomplete(
            "incident step",
            {"action": "done", "step": ""},
            focused="step",
            user=team.bob,
            channel=thread,
        )
        choices = (await fake.wait_for_interaction_response(ix))["data"]["choices"]
        assert "situational-awareness" in [c["value"] for c in choices]

        start = fake.mark()
        ix = await fake.slash_command(
            "incident step",
            {"action": "skip", "step": "situational-awareness", "reason": "hub briefed"},
            user=team.alice,
            channel=thread,
        )
        assert "skipped" in (await fake.wait_for_interaction_response(ix))["data"]["content"]
        # the checklist that changed lives in the incident channel, not in the thread
        edit = await fake.wait_for_request("PATCH", MESSAGE, since=start)
        assert edit.params["channel_id"] == channel["id"]

        by_reaction = await fake.post_message(thread, team.dave, "mirror on a file host")
        await fake.react(by_reaction, "📌", user=team.bob)
        captured = await recorded(services, incident_id, by_reaction)
        assert captured.channel_id == thread["id"] and captured.author_id == str(team.dave.id)

        by_menu = await fake.post_message(thread, team.bob, "host confirmed removal")
        ix = await fake.message_command("Add to timeline", by_menu, user=team.alice)
        answer = await fake.wait_for_interaction_response(ix)
        assert "Added to the timeline" in answer["data"]["content"]
        assert (await recorded(services, incident_id, by_menu)).channel_id == thread["id"]

        elsewhere = await fake.create_thread(team.general, "chatter", owner=team.bob)
        ix = await fake.slash_command(
            "incident note", {"text": "wrong place"}, user=team.alice, channel=elsewhere
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert "not an incident channel" in answer["data"]["content"]
        assert (await event_names(services, incident_id)).count("NoteAdded") == 1


async def test_threads_resolve_after_a_restart_and_without_the_gateway_cache(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        thread = await fake.create_thread(channel, "legal", owner=team.bob)
        message = await fake.post_message(thread, team.bob, "takedown notice drafted")

    async with start_bot() as bot:  # the thread comes back with GUILD_CREATE's active threads
        assert bot.channels.incident_for_channel(int(thread["id"])) == incident_id
        await fake.react(message, "📌", user=team.alice)  # a raw event: only the thread's id
        assert (await recorded(services, incident_id, message)).channel_id == thread["id"]

        # a thread the bot never heard of: the interaction's channel object names the parent
        unseen = fake.state.create_thread(int(channel["id"]), "unseen", owner_id=team.bob.id)
        assert bot.get_channel(int(unseen["id"])) is None
        ix = await fake.slash_command("incident status", {}, user=team.bob, channel=unseen)
        answer = await fake.wait_for_interaction_response(ix)
        assert answer["data"]["embeds"], answer
        # ... and is remembered for raw events that carry only its id
        later = await fake.post_message(unseen, team.bob, "posted in the unseen thread")
        await fake.react(later, "📌", user=team.alice)
        assert (await recorded(services, incident_id, later)).channel_id == unseen["id"]


async def test_a_thread_of_a_drill_channel_is_marked_drill(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        ix = await fake.slash_command(
            "drill start", {"scenario": "false-alarm"}, user=team.alice, channel=team.general
        )
        await fake.wait_for_interaction_response(ix)
        created = await fake.wait_for_request("POST", "/guilds/{guild_id}/channels")
        thread = await fake.create_thread(created.response, "side chat", owner=team.bob)
        ix = await fake.slash_command(
            "incident note", {"text": "exercise note"}, user=team.alice, channel=thread
        )
        assert "DRILL" in (await fake.wait_for_interaction_response(ix))["data"]["content"]


async def test_uploads_in_a_thread_of_a_watched_channel_are_checked(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    image = sample_image(7)
    await list_with_pdq_of(services, image)
    async with start_bot():
        thread = await fake.create_thread(team.watched, "reposts", owner=team.mallory)
        await fake.post_message(thread, team.mallory, "look", attachments=[("a.png", image)])
        await fake.wait_for(
            lambda: fake.messages.get(int(team.alerts["id"])), what="alert for the thread upload"
        )
        (alert,) = fake.messages[int(team.alerts["id"])]
        assert f"<#{thread['id']}>" in alert["embeds"][0]["description"]
