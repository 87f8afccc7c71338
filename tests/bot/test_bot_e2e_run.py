"""``crisisbot run``'s composition root in-process: with a token the bot logs in to the (fake)
Discord and the lookup API answers; setting the stop event shuts both down cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import click
import pytest

from crisisbot.cli.run_cmd import serve
from crisisbot.config import Settings
from tests.bot.conftest import BotRunner, Services, Team
from tests.bot.incident_flow import open_incident
from tests.bot.test_bot_run_cmd import _free_port
from tests.fake_discord import FakeDiscord


async def test_serve_runs_bot_and_api_until_stopped(
    fake: FakeDiscord, team: Team, tmp_path: Path
) -> None:
    settings = Settings()
    settings.database.url = f"sqlite:///{tmp_path / 'run.db'}"
    settings.discord = team.settings(token=fake.token)
    port = _free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, host="127.0.0.1", port=port, stop=stop))
    try:
        await fake.wait_until_connected(timeout=10)
        await fake.wait_for(lambda: fake.guild_commands(team.guild), timeout=10)
        names = {c["name"] for c in fake.guild_commands(team.guild)}
        assert {"incident", "hash", "Add to timeline"} <= names
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/v1/health") as response,
        ):
            assert response.status == 200
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    await fake.wait_for(lambda: not fake.connected, timeout=5, what="bot disconnected")


async def test_autocomplete_offers_protocols_and_severities(
    fake: FakeDiscord, team: Team, start_bot: BotRunner
) -> None:
    async with start_bot():
        ix = await fake.autocomplete(
            "incident open",
            {"protocol": "gifct"},
            focused="protocol",
            user=team.alice,
            channel=team.general,
        )
        choices = (await fake.wait_for_interaction_response(ix))["data"]["choices"]
        assert [c["value"] for c in choices] == ["gifct-cip"]
        ix = await fake.autocomplete(
            "incident open",
            {"protocol": "gifct-cip", "severity": ""},
            focused="severity",
            user=team.alice,
            channel=team.general,
        )
        choices = (await fake.wait_for_interaction_response(ix))["data"]["choices"]
        assert [c["value"] for c in choices] == ["cip", "content-incident", "incident"]


async def test_serve_with_a_refused_token_stops_with_a_clear_error(
    fake: FakeDiscord, team: Team, tmp_path: Path
) -> None:
    settings = Settings()
    settings.database.url = f"sqlite:///{tmp_path / 'run.db'}"
    settings.discord = team.settings(token="not-the-token")
    with pytest.raises(click.ClickException, match="Discord refused DISCORD_TOKEN"):
        await asyncio.wait_for(
            serve(settings, host="127.0.0.1", port=_free_port(), stop=asyncio.Event()), timeout=10
        )


async def test_without_a_guild_id_commands_are_global_and_incidents_open_and_resume(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    async with start_bot(guild_id=0):
        assert fake.guild_commands(team.guild) == []
        assert {c["name"] for c in fake.commands} >= {"incident", "hash"}
        channel, incident_id = await open_incident(fake, team, services)
    async with start_bot(guild_id=0) as bot:
        assert bot.channels.incident_for_channel(int(channel["id"])) == incident_id


async def test_autocomplete_in_an_incident_channel_offers_its_steps_roles_and_lists(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    await services.hashes.create_list("tve-christchurch", created_by="test")
    async with start_bot():
        channel, _ = await open_incident(fake, team, services)

        async def choices(name: str, options: dict[str, str], focused: str) -> list[dict]:
            ix = await fake.autocomplete(
                name, options, focused=focused, user=team.alice, channel=channel
            )
            return list((await fake.wait_for_interaction_response(ix))["data"]["choices"])

        steps = await choices("incident step", {"action": "done", "step": "share"}, "step")
        assert [c["value"] for c in steps] == ["share-hashes"]
        assert steps[0]["name"].startswith("⬜ ")
        roles = await choices("incident assign", {"role": "liaison"}, "role")
        assert {c["value"] for c in roles} == {"platform-liaison", "government-liaison"}
        levels = await choices("incident escalate", {"severity": ""}, "severity")
        assert "cip" in {c["value"] for c in levels}
        lists = await choices("hash add", {"list": "christ"}, "list")
        assert [c["value"] for c in lists] == ["tve-christchurch"]


async def test_a_refused_command_sync_does_not_stop_the_bot(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    fake.inject_error(
        "PUT", "/applications/{application_id}/guilds/{guild_id}/commands", status=404, code=0
    )
    async with start_bot():
        assert fake.guild_commands(team.guild) == []  # nothing registered: options are inferred
        channel, incident_id = await open_incident(fake, team, services)
        assert incident_id in str(fake.channels[int(channel["id"])]["topic"])
