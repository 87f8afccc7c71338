"""A Discord that refuses what the bot can live without: pins, posts, DMs, overwrites, edits,
reactions, history reads. The bot keeps going, tells the user privately what it could not do,
and the timeline neither loses nor repeats an event. Slow work is answered within 3 seconds."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.client import CrisisBot
from bot.custom_ids import step_button_id
from crisisbot.drill_hashes import exercise_hashes_over
from protocols.drills import ScenarioLibrary
from tests.bot.conftest import BotRunner, Clock, Services, Team
from tests.bot.incident_flow import bot_messages, event_names, message_with, open_incident
from tests.bot.test_bot_e2e_capture import settled
from tests.fake_discord import FakeDiscord, FakeInteraction
from tests.fake_discord.payloads import EPHEMERAL
from tests.fake_discord.runner import running_client

MESSAGES = "/channels/{channel_id}/messages"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"
PIN = "/channels/{channel_id}/messages/pins/{message_id}"
OPEN = {"protocol": "gifct-cip", "title": "Attack on a mosque", "severity": "cip"}


async def private_note(fake: FakeDiscord, ix: FakeInteraction) -> str:
    """The ephemeral follow-up the bot sent after answering ``ix``."""
    await fake.wait_for(lambda: ix.followup_ids, what="a private follow-up")
    note = fake.message(ix.followup_ids[0])
    assert int(note["flags"]) & EPHEMERAL
    return str(note["content"])


async def test_open_goes_on_when_the_pin_is_refused_and_says_so(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        fake.inject_error("PUT", PIN, status=403, code=50013, message="Missing Permissions")
        channel, incident_id = await open_incident(fake, team, services)
        ix = fake.interactions[min(fake.interactions)]
        assert f"<#{channel['id']}>" in fake.interaction_responses[ix.id]["data"]["content"]
        note = await private_note(fake, ix)
        assert "could not pin the summary: the bot lacks a permission there (403/50013)" in note
        assert fake.pinned(channel) == []
        assert await event_names(services, incident_id) == ["IncidentDeclared", "RoleAssigned"]


async def test_a_discord_without_the_new_pin_route_gets_the_older_one(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        fake.inject_error("PUT", PIN, status=404, code=0, message="404: Not Found")
        channel, _ = await open_incident(fake, team, services)
        await fake.wait_for(lambda: fake.pinned(channel), what="the summary pinned")
        assert fake.calls("PUT", "/channels/{channel_id}/pins/{message_id}")[0].status == 204


async def test_a_refused_summary_is_posted_and_pinned_with_the_next_change(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        fake.inject_error("POST", MESSAGES, status=500, code=0, message="Internal Server Error")
        fake.inject_error("POST", MESSAGES, status=404, code=0, message="404: Not Found")
        ix = await fake.slash_command("incident open", OPEN, user=team.alice, channel=team.general)
        answer = await fake.wait_for_interaction_response(ix, timeout=10)
        assert "opened" in answer["data"]["content"]
        note = await private_note(fake, ix)
        assert "could not post the summary" in note
        (state,) = await services.incidents.list(open_only=True)
        channel = fake.channels[
            int(fake.calls("POST", "/guilds/{guild_id}/channels")[0].response["id"])
        ]
        assert all(
            "checklist" in m["embeds"][0]["footer"]["text"] for m in bot_messages(fake, channel)
        )

        ix = await fake.slash_command(
            "incident note", {"text": "hub call"}, user=team.alice, channel=channel
        )
        await fake.wait_for_interaction_response(ix)
        await fake.wait_for(lambda: fake.pinned(channel), what="summary posted and pinned")
        (summary,) = fake.pinned(channel)
        assert summary["embeds"][0]["footer"]["text"].endswith("· summary")
        assert [n.text for n in (await services.incidents.get(state.id)).notes] == ["hub call"]


async def test_closed_dms_and_a_refused_overwrite_are_told_to_the_assigner(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        fake.inject_error(
            "PUT", "/channels/{channel_id}/permissions/{overwrite_id}", status=403, code=50013
        )
        fake.inject_error(
            "POST", MESSAGES, status=403, code=50007, message="Cannot send messages to this user"
        )
        ix = await fake.slash_command(
            "incident assign",
            {"role": "platform-liaison", "user": team.dave},
            user=team.alice,
            channel=channel,
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert f"<@{team.dave.id}> is now" in answer["data"]["content"]
        assert not answer["data"].get("flags", 0) & EPHEMERAL
        note = await private_note(fake, ix)
        assert f"could not give <@{team.dave.id}> access to the incident channel" in note
        assert f"could not DM <@{team.dave.id}>" in note
        assert "their DMs are closed to the bot (403/50007)" in note
        assert fake.dm_messages(team.dave) == []
        names = await event_names(services, incident_id)
        assert names.count("RoleAssigned") == 2  # the lead at declaration, dave once


async def test_refused_and_deleted_summaries_lose_no_note(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        summary_id = bot_messages(fake, channel)[0]["id"]

        async def note(text: str) -> None:
            ix = await fake.slash_command(
                "incident note", {"text": text}, user=team.alice, channel=channel
            )
            assert (await fake.wait_for_interaction_response(ix))["type"] == 4

        fake.inject_error("PATCH", MESSAGE, status=403, code=50001, message="Missing Access")
        await note("one")
        await fake.wait_for(lambda: fake.calls("PATCH", MESSAGE), what="summary edit tried")
        await note("two")
        await fake.wait_for_request(
            "PATCH", MESSAGE, where=lambda r: r.params["message_id"] == summary_id
        )

        await fake.delete_message(summary_id)  # someone deleted the pinned summary
        await note("three")
        await fake.wait_for(lambda: fake.pinned(channel), what="a new summary pinned")
        assert fake.pinned(channel)[0]["id"] != summary_id
        state = await services.incidents.get(incident_id)
        assert [n.text for n in state.notes] == ["one", "two", "three"]


async def test_capture_goes_on_when_reading_or_reacting_is_refused(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        # a message the bot never saw (not cached): reading it is refused, nothing is recorded
        unseen = fake.state.create_message(
            int(channel["id"]), fake.state.user(team.dave.id), {"content": "not seen"}
        )
        fake.inject_error("GET", MESSAGE, status=403, code=50001, message="Missing Access")
        await fake.react(unseen, "📌", user=team.bob)
        await fake.wait_for(lambda: fake.calls("GET", MESSAGE), what="message read tried")

        fake.inject_error(
            "PUT",
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            status=403,
            code=50013,
        )
        kept = await fake.post_message(channel, team.dave, "uploader account found")
        await fake.react(kept, "📌", user=team.bob)
        await settled(services, incident_id, "MessageRecorded")
        await asyncio.sleep(0.1)
        messages = (await services.incidents.get(incident_id)).messages
        assert list(messages) == [kept["id"]]


async def test_history_refused_at_restart_still_resumes_the_incident(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
    fake.inject_error("GET", MESSAGES, status=403, code=50001, message="Missing Access")
    async with start_bot() as bot:
        assert bot.channels.incident_for_channel(int(channel["id"])) == incident_id
        ix = await fake.slash_command(
            "incident note", {"text": "after restart"}, user=team.alice, channel=channel
        )
        assert "after restart" in (await fake.wait_for_interaction_response(ix))["data"]["content"]
        # the old summary could not be found: a new one is posted rather than none
        await fake.wait_for(lambda: len(fake.pinned(channel)) == 2, what="a second summary")
        assert [n.text for n in (await services.incidents.get(incident_id)).notes] == [
            "after restart"
        ]


class SlowIncidents:
    """The incident service behind a slow database: every write takes ``delay`` seconds."""

    def __init__(self, inner: Any, delay: float) -> None:
        self._inner = inner
        self._delay = delay

    async def execute(self, incident_id: str, command: Any) -> Any:
        await asyncio.sleep(self._delay)
        return await self._inner.execute(incident_id, command)

    async def events(self, incident_id: str) -> Any:
        await asyncio.sleep(self._delay)
        return await self._inner.events(incident_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def test_slow_work_is_deferred_within_the_deadline_and_confirmed_after_the_write(
    fake: FakeDiscord, team: Team, services: Services, clock: Clock
) -> None:
    fake.rest.interaction_deadline = 1.0  # Discord's 3 s, scaled down with the bot's 0.3 s
    bot = CrisisBot(
        settings=team.settings(),
        incidents=SlowIncidents(services.incidents, 0.6),  # type: ignore[arg-type]
        hashes=services.hashes,
        exercise_hashes=exercise_hashes_over(services.hashes),
        library=services.library,
        scenarios=ScenarioLibrary(services.library),
        clock=clock,
        defer_after=0.3,
    )
    async with running_client(bot, fake):
        await asyncio.wait_for(bot.resumed.wait(), timeout=5)
        fake.inject_rate_limit("POST", "/guilds/{guild_id}/channels", retry_after=0.8)
        ix = await fake.slash_command("incident open", OPEN, user=team.alice, channel=team.general)
        first = await fake.wait_for_interaction_response(ix)
        assert first["type"] == 5 and first["data"]["flags"] & EPHEMERAL  # "thinking…", privately
        await fake.wait_for(
            lambda: "opened" in (fake.message(ix.original_message_id or 0).get("content") or ""),
            what="the deferred answer",
        )
        (state,) = await services.incidents.list(open_only=True)
        channel = fake.channels[
            int(fake.calls("POST", "/guilds/{guild_id}/channels")[-1].response["id"])
        ]
        await fake.wait_for(lambda: len(bot_messages(fake, channel)) > 1, what="checklists")

        ix = await fake.slash_command(
            "incident note", {"text": "slow"}, user=team.alice, channel=channel
        )
        assert (await fake.wait_for_interaction_response(ix))["type"] == 5
        await fake.wait_for(
            lambda: "slow" in (fake.message(ix.original_message_id or 0).get("content") or ""),
            what="the note confirmed",
        )
        assert [n.text for n in (await services.incidents.get(state.id)).notes] == ["slow"]

        # refused after the public "thinking…": that goes away, the refusal comes privately
        ix = await fake.slash_command(
            "incident step",
            {"action": "skip", "step": "situational-awareness"},  # no reason: refused
            user=team.alice,
            channel=channel,
        )
        assert (await fake.wait_for_interaction_response(ix))["type"] == 5
        refusal = await private_note(fake, ix)
        assert refusal.startswith("⚠️") and "reason" in refusal
        await fake.wait_for_request(
            "DELETE", "/webhooks/{application_id}/{interaction_token}/messages/{message_id}"
        )

        own = step_button_id(state.id, "brief-communications", "own")
        mark = fake.mark()
        click = await fake.click(message_with(fake, channel, own), own, user=team.alice)
        assert (await fake.wait_for_interaction_response(click))["type"] == 6  # deferred update
        await fake.wait_for_request(
            "PATCH",
            "/webhooks/{application_id}/{interaction_token}/messages/{message_id}",
            since=mark,
        )
        assert (await services.incidents.get(state.id)).holders("communications")

        ix = await fake.slash_command(
            "incident export", {"format": "json"}, user=team.alice, channel=channel
        )
        assert (await fake.wait_for_interaction_response(ix))["type"] == 5
        await fake.wait_for(
            lambda: (fake.message(ix.original_message_id or 0).get("attachments") or [None])[0],
            what="the export attached to the deferred answer",
        )
        (attachment,) = fake.message(ix.original_message_id or 0)["attachments"]
        assert attachment["filename"] == f"{state.id}.json"
        assert state.id in fake.cdn_bytes(attachment["url"]).decode()
        for interaction in fake.interactions.values():
            assert len(interaction.callbacks) <= 1  # never acknowledged twice


async def test_a_deleted_checklist_is_posted_again_with_the_next_change(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        done = step_button_id(incident_id, "assess-criteria", "done")
        await fake.delete_message(message_with(fake, channel, done)["id"])
        ix = await fake.slash_command(
            "incident step",
            {"action": "skip", "step": "assess-criteria", "reason": "criteria obviously met"},
            user=team.alice,
            channel=channel,
        )
        await fake.wait_for_interaction_response(ix)
        await fake.wait_for(
            lambda: any(
                c.get("custom_id") == done and c.get("disabled")
                for m in bot_messages(fake, channel)
                for row in m.get("components", [])
                for c in row["components"]
            ),
            what="the checklist posted again, the skipped step's buttons disabled",
        )
        assert (await services.incidents.get(incident_id)).step(
            "assess-criteria"
        ).status == "skipped"


async def test_a_refused_answer_says_the_action_is_recorded(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        fake.inject_error(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            status=400,
            code=50035,
            message="Invalid Form Body",
        )
        ix = await fake.slash_command(
            "incident note", {"text": "uploader identified"}, user=team.alice, channel=channel
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert answer["data"]["flags"] & EPHEMERAL
        assert "Discord refused the bot's answer" in answer["data"]["content"]
        assert "recorded in the timeline" in answer["data"]["content"]
        notes = (await services.incidents.get(incident_id)).notes
        assert [n.text for n in notes] == ["uploader identified"]


async def test_a_note_of_the_full_length_is_stored_whole_and_answered_within_limits(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    text = "x" * 2000
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        ix = await fake.slash_command(
            "incident note", {"text": text}, user=team.alice, channel=channel
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert answer["type"] == 4 and len(answer["data"]["content"]) == 2000
        assert [n.text for n in (await services.incidents.get(incident_id)).notes] == [text]


async def test_an_attachment_the_cdn_refuses_is_a_clear_error(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        attachment = fake.make_attachment(b"\x89PNG not really", "gone.png")
        attachment["url"] = attachment["url"].replace("gone.png", "missing.png")
        ix = await fake.slash_command(
            "hash check", {"attachment": attachment}, user=team.bob, channel=team.general
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert answer["data"]["flags"] & EPHEMERAL
        assert "Could not download gone.png" in answer["data"]["content"]
