"""``crisisbot run``'s composition root in-process: with a token the bot logs in to the (fake)
Discord and the lookup API answers; setting the stop event shuts both down cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from crisisbot.cli.run_cmd import serve
from crisisbot.config import Settings
from tests.bot.conftest import BotRunner, Team
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
