"""Keeps working: a restart in the middle (new bot instance, same database) with old buttons
clicked afterwards; 429 responses injected mid-flow; a gateway drop while a message is captured."""

from __future__ import annotations

from bot.channel_directory import ChannelBinding
from bot.custom_ids import step_button_id
from tests.bot.conftest import BotRunner, Services, Team
from tests.bot.incident_flow import (
    bot_messages,
    event_names,
    message_with,
    open_incident,
    recorded,
)
from tests.fake_discord import FakeDiscord
from tests.fake_discord.payloads import EPHEMERAL

MESSAGE = "/channels/{channel_id}/messages/{message_id}"


async def test_buttons_work_after_restart_and_the_incident_resumes(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
    summary_id = bot_messages(fake, channel)[0]["id"]
    skip_id = step_button_id(incident_id, "situational-awareness", "skip")
    old_message = message_with(fake, channel, skip_id)

    async with start_bot() as bot:  # a new process: nothing in memory but what it finds again
        assert bot.channels.incident_for_channel(int(channel["id"])) == incident_id
        start = fake.mark()
        click = await fake.click(old_message, skip_id, user=team.alice)
        assert (await fake.wait_for_interaction_response(click))["type"] == 9
        submit = await fake.submit_modal(click, {"reason": "hub already briefed"})
        update = await fake.wait_for_interaction_response(submit)
        assert update["type"] == 7
        assert "skipped by" in update["data"]["embeds"][0]["description"]
        # the same pinned summary is edited; no channel or summary is created again
        await fake.wait_for_request(
            "PATCH", MESSAGE, where=lambda r: r.params["message_id"] == summary_id, since=start
        )
        assert fake.calls("POST", "/guilds/{guild_id}/channels", since=start) == []
        assert "StepSkipped" in await event_names(services, incident_id)


async def open_refused(fake: FakeDiscord, team: Team) -> str:
    """`/incident open` while Discord refuses the channel; the private answer."""
    fake.inject_error(
        "POST", "/guilds/{guild_id}/channels", status=403, code=50013, message="Missing Permissions"
    )
    ix = await fake.slash_command(
        "incident open",
        {"protocol": "gifct-cip", "title": "Channel creation fails", "severity": "cip"},
        user=team.alice,
        channel=team.general,
    )
    answer = await fake.wait_for_interaction_response(ix)
    assert answer["data"]["flags"] & EPHEMERAL
    assert "is recorded, but Discord refused to create its channel" in answer["data"]["content"]
    return str(answer["data"]["content"])


async def test_incident_declared_while_discord_failed_gets_its_channel_at_start(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        await open_refused(fake, team)
    (state,) = await services.incidents.list(open_only=True)  # the declaration was stored first
    async with start_bot() as bot:
        binding = bot.channels.binding(state.id)
        assert binding is not None and binding.summary_message_id is not None
        assert fake.pinned(binding.channel_id)[0]["id"] == str(binding.summary_message_id)


async def test_a_refused_channel_is_created_by_the_dispatcher_without_a_restart(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot() as bot:
        assert "Do not open the incident again" in await open_refused(fake, team)
        (state,) = await services.incidents.list(open_only=True)
        assert bot.channels.binding(state.id) is None

        dispatcher = bot.get_cog("Deadlines")
        assert dispatcher is not None
        await dispatcher.tick()  # type: ignore[attr-defined]
        assert bot.channels.binding(state.id) is None  # retried at most once a minute
        bot.recovery._next_missing_check = 0.0  # ... and a minute has passed
        await dispatcher.tick()  # type: ignore[attr-defined]
        binding = bot.channels.binding(state.id)
        assert binding is not None
        assert fake.pinned(binding.channel_id)[0]["id"] == str(binding.summary_message_id)
        assert await bot.recovery.create_missing_channels(force=True) == 0  # never twice
        assert len(fake.calls("POST", "/guilds/{guild_id}/channels")) == 2  # refused, created


async def test_rate_limits_mid_flow_lose_nothing(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        fake.inject_rate_limit("POST", "/guilds/{guild_id}/channels", times=1)
        fake.inject_rate_limit("POST", "/channels/{channel_id}/messages", times=1, retry_after=0.05)
        fake.inject_rate_limit("POST", "/channels/{channel_id}/messages", times=1, is_global=True)
        fake.inject_rate_limit("PUT", "/channels/{channel_id}/messages/pins/{message_id}", times=1)
        channel, incident_id = await open_incident(fake, team, services)
        assert len(fake.pinned(channel)) == 1

        fake.inject_rate_limit(
            "POST", "/interactions/{interaction_id}/{interaction_token}/callback", times=1
        )
        fake.inject_rate_limit("PATCH", MESSAGE, times=3, retry_after=0.05)
        notes = [f"update {n}" for n in range(5)]
        for text in notes:
            ix = await fake.slash_command(
                "incident note", {"text": text}, user=team.alice, channel=channel
            )
            await fake.wait_for_interaction_response(ix, timeout=10)

        state = await services.incidents.get(incident_id)
        assert [n.text for n in state.notes] == notes
        summary_id = bot_messages(fake, channel)[0]["id"]
        await fake.wait_for(
            lambda: len(fake.calls("PATCH", MESSAGE)) >= 3 + 1, what="summary edit retried"
        )
        patches = fake.calls("PATCH", MESSAGE)[:4]
        assert [r.status for r in patches] == [429, 429, 429, 200]
        assert {r.params["message_id"] for r in patches} == {summary_id}
        assert [r.status for r in fake.requests].count(429) == 1 + 2 + 1 + 1 + 3
        assert len(fake.calls("POST", "/guilds/{guild_id}/channels")) == 2  # one 429, one created


async def test_gateway_drop_loses_no_captured_message(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        message = await fake.post_message(channel, team.bob, "Livestream link is spreading")
        await fake.drop_gateway("reconnect")
        await fake.react(message, "📌", user=team.bob)  # sent while the bot reconnects
        await fake.wait_until_connected()

        captured = await recorded(services, incident_id, message)  # stored after RESUME
        assert captured.author_id == str(team.bob.id)
        assert captured.content == "Livestream link is spreading"


async def test_an_invalidated_session_reidentifies_and_everything_still_works(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        await fake.drop_gateway("invalidate")
        await fake.wait_for(
            lambda: sum(1 for f in fake.gateway_received if f.get("op") == 2) >= 2,
            what="a second IDENTIFY",
        )
        await fake.wait_until_connected()
        ix = await fake.slash_command(
            "incident note", {"text": "after re-identify"}, user=team.alice, channel=channel
        )
        assert (await fake.wait_for_interaction_response(ix))["type"] == 4
        take = step_button_id(incident_id, "brief-communications", "own")
        click = await fake.click(message_with(fake, channel, take), take, user=team.alice)
        assert (await fake.wait_for_interaction_response(click))["type"] == 7
        names = await event_names(services, incident_id)
        assert names.count("NoteAdded") == 1 and names.count("RoleAssigned") == 2


async def test_a_burst_of_changes_edits_the_summary_once_plus_once_after(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot(summary_edit_interval_seconds=2.0) as bot:
        channel, incident_id = await open_incident(fake, team, services)
        summary_id = bot_messages(fake, channel)[0]["id"]
        await bot.projection.summaries.flush()  # nothing pending from the open
        start = fake.mark()
        for n in range(6):
            ix = await fake.slash_command(
                "incident note", {"text": f"burst {n}"}, user=team.alice, channel=channel
            )
            await fake.wait_for_interaction_response(ix)
        await bot.projection.summaries.flush()  # the trailing edit, after the interval

        def summary_edits() -> int:
            edits = fake.calls("PATCH", MESSAGE, since=start)
            return sum(1 for r in edits if r.params["message_id"] == summary_id)

        assert summary_edits() == 2  # one at the first change, one for all the others
        assert len((await services.incidents.get(incident_id)).notes) == 6


async def test_a_deleted_incident_channel_is_created_again(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot() as bot:
        channel, incident_id = await open_incident(fake, team, services)
        ix = await fake.slash_command(
            "incident note", {"text": "before"}, user=team.alice, channel=channel
        )
        await fake.wait_for_interaction_response(ix)
        await fake.dispatch("CHANNEL_DELETE", fake.state.delete_channel(int(channel["id"])))

        def new_binding() -> ChannelBinding | None:
            found = bot.channels.binding(incident_id)
            return found if found and found.channel_id != int(channel["id"]) else None

        binding = await fake.wait_for(new_binding, what="the channel created again")
        assert len(fake.calls("POST", "/guilds/{guild_id}/channels")) == 2
        await fake.wait_for(lambda: fake.pinned(binding.channel_id), what="summary pinned")
        ix = await fake.slash_command(
            "incident note", {"text": "after"}, user=team.alice, channel=binding.channel_id
        )
        assert "after" in (await fake.wait_for_interaction_response(ix))["data"]["content"]
        notes = (await services.incidents.get(incident_id)).notes
        assert [n.text for n in notes] == ["before", "after"]


async def test_a_closed_incident_can_still_be_exported_after_a_restart(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        ix = await fake.slash_command(
            "incident close", {"reason": "handed over"}, user=team.alice, channel=channel
        )
        await fake.wait_for_interaction_response(ix)
    start = fake.mark()
    async with start_bot():
        ix = await fake.slash_command(
            "incident export", {"format": "csv"}, user=team.alice, channel=channel
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert incident_id in answer["data"]["content"]
        (upload,) = fake.calls(
            "POST", "/interactions/{interaction_id}/{interaction_token}/callback", since=start
        )
        assert "handed over" in upload.files[0].data.decode()
        assert fake.calls("GET", "/channels/{channel_id}/messages", since=start) == []  # no reads
