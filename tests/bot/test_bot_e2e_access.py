"""Only configured roles act: people without them are refused with a clear private message and
nothing is written (no channel, no event, no hash)."""

from __future__ import annotations

from bot.custom_ids import step_button_id
from tests.bot.conftest import BotRunner, Services, Team
from tests.bot.incident_flow import event_names, message_with, open_incident, private_answer
from tests.fake_discord import FakeDiscord, FakeInteraction

OPEN = {"protocol": "gifct-cip", "title": "Shooting", "severity": "cip"}


async def refusal(fake: FakeDiscord, interaction: FakeInteraction) -> str:
    return str((await private_answer(fake, interaction))["data"]["content"])


async def test_people_without_the_admin_role_cannot_open_incidents(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        start = fake.mark()
        for person in (team.mallory, team.bob):
            ix = await fake.slash_command("incident open", OPEN, user=person, channel=team.general)
            assert "You need the incident admin role" in await refusal(fake, ix)
        assert fake.calls("POST", "/guilds/{guild_id}/channels", since=start) == []
        assert await services.incidents.list() == []


async def test_buttons_and_commands_refuse_outsiders_and_the_engine_refuses_wrong_roles(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        before = await event_names(services, incident_id)
        done = step_button_id(incident_id, "situational-awareness", "skip")
        message = message_with(fake, channel, done)

        click = await fake.click(message, done, user=team.mallory)
        assert "You need the responder role" in await refusal(fake, click)
        ix = await fake.slash_command(
            "incident note", {"text": "hi"}, user=team.mallory, channel=channel
        )
        assert "You need the responder role" in await refusal(fake, ix)
        ix = await fake.slash_command(
            "incident close", {"reason": "done"}, user=team.bob, channel=channel
        )
        assert "You need the incident admin role" in await refusal(fake, ix)

        # bob is a responder but holds no incident role: the protocol's own rules refuse him,
        # at the click, before a form asks him for a reason he could not give
        click = await fake.click(message, done, user=team.bob)
        assert "may not" in await refusal(fake, click)
        assert await event_names(services, incident_id) == before


async def test_hash_changes_need_the_hash_coordinator_role(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    await services.hashes.create_list("tve", created_by="test")
    value = "f" * 32
    async with start_bot():
        ix = await fake.slash_command(
            "hash add",
            {"list": "tve", "signal": "md5", "value": value},
            user=team.bob,
            channel=team.general,
        )
        assert "You need the hash coordinator role" in await refusal(fake, ix)
        ix = await fake.slash_command(
            "hash check", {"signal": "md5", "value": value}, user=team.mallory, channel=team.general
        )
        assert "You need the crisis team role" in await refusal(fake, ix)
        assert await services.hashes.entries("tve") == []

        ix = await fake.slash_command(
            "hash add",
            {"list": "tve", "signal": "md5", "value": value, "labels": "a, b"},
            user=team.carol,
            channel=team.general,
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert "Added 1 hash(es) to **tve**" in answer["data"]["content"]
        (entry,) = await services.hashes.entries("tve")
        assert entry.labels == ("a", "b")
        assert entry.added_by == f"discord:{team.carol.id}"

        ix = await fake.slash_command(
            "hash check", {"signal": "md5", "value": value}, user=team.bob, channel=team.general
        )
        assert "list **tve**" in await refusal(fake, ix)  # private answer with the match

        ix = await fake.slash_command(
            "hash remove",
            {"entry_id": entry.id, "reason": "false positive"},
            user=team.carol,
            channel=team.general,
        )
        await fake.wait_for_interaction_response(ix)
        assert await services.hashes.entries("tve") == []


async def test_bad_hash_input_is_refused_clearly(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    await services.hashes.create_list("tve", created_by="test")
    async with start_bot():
        ix = await fake.slash_command(
            "hash add",
            {"list": "tve", "signal": "pdq", "value": "xyz"},
            user=team.carol,
            channel=team.general,
        )
        assert "⚠️" in await refusal(fake, ix)
        ix = await fake.slash_command("hash check", {}, user=team.carol, channel=team.general)
        assert "either an attachment or a hash value" in await refusal(fake, ix)
        assert await services.hashes.entries("tve") == []


async def test_a_misconfigured_category_is_reported_before_anything_is_declared(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot(incident_category_id=int(team.general["id"])):
        ix = await fake.slash_command("incident open", OPEN, user=team.alice, channel=team.general)
        assert "discord.incident_category_id" in await refusal(fake, ix)
        assert await services.incidents.list() == []
