"""`crisisbot run` as a separate process, pointed at the fake Discord by configuration only.

This is how an outside Discord-compatible client (or a staging proxy) drives the shipped command:
``DISCORD_TOKEN``, ``DISCORD_API_BASE_URL`` and ``DISCORD_GATEWAY_URL`` in the environment, the
guild layout in the YAML config, nothing patched inside the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import yaml

from protocols import ProtocolLibrary, open_incident_service
from tests.bot.conftest import Team
from tests.bot.test_bot_run_cmd import _free_port
from tests.fake_discord import FakeDiscord
from tests.fake_discord.payloads import EPHEMERAL


def _config(team: Team, path: Path) -> Path:
    discord_section = {
        key: value
        for key, value in vars(team.settings()).items()
        if key not in {"token", "api_base_url", "gateway_url"}
    }
    path.write_text(yaml.safe_dump({"discord": discord_section}), encoding="utf-8")
    return path


@contextlib.asynccontextmanager
async def crisisbot_run(
    fake: FakeDiscord, team: Team, tmp_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``crisisbot run`` in its own process, configured for ``fake`` by environment and YAML only;
    stopped with SIGTERM at the end, which must exit 0."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CRISISBOT_")},
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE_URL": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crisisbot",
        "--config",
        str(_config(team, tmp_path / "crisisbot.yaml")),
        "--db",
        f"sqlite:///{tmp_path / 'run.db'}",
        "run",
        "--host",
        "127.0.0.1",
        "--port",
        str(_free_port()),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_until_connected(timeout=30)
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, stderr.decode()


async def _stored_titles(db: Path) -> list[str]:
    async with open_incident_service(
        str(db), library=ProtocolLibrary(), clock=lambda: datetime.now(UTC)
    ) as incidents:
        return [state.title for state in await incidents.list()]


async def test_run_process_opens_an_incident_for_an_admin_and_refuses_others(
    fake: FakeDiscord, team: Team, tmp_path: Path
) -> None:
    async with crisisbot_run(fake, team, tmp_path):
        await fake.wait_for(lambda: fake.guild_commands(team.guild), timeout=30)

        refused = await fake.slash_command(
            "incident open",
            {"protocol": "gifct-cip", "title": "Refused", "severity": "cip"},
            user=team.mallory,
            channel=team.general,
        )
        answer = await fake.wait_for_interaction_response(refused, timeout=10)
        assert answer["data"]["flags"] & EPHEMERAL
        assert "role" in answer["data"]["content"]

        mark = fake.mark()
        opened = await fake.slash_command(
            "incident open",
            {"protocol": "gifct-cip", "title": "Livestreamed attack", "severity": "cip"},
            user=team.alice,
            channel=team.general,
        )
        created = await fake.wait_for_request(
            "POST", "/guilds/{guild_id}/channels", since=mark, timeout=10
        )
        assert created.json is not None
        assert int(created.json["parent_id"]) == int(team.category["id"])
        await fake.wait_for_interaction_response(opened, timeout=10)
    assert await _stored_titles(tmp_path / "run.db") == ["Livestreamed attack"]


async def test_run_process_with_a_lean_discord_that_refuses_pins_and_dms(
    fake: FakeDiscord, team: Team, tmp_path: Path
) -> None:
    """Another Discord: minimal payloads, a 3 s interaction deadline, no pin route, closed DMs."""
    fake.minimal_payloads = True
    fake.rest.interaction_deadline = 3.0
    fake.inject_error("PUT", "/channels/{channel_id}/messages/pins/{message_id}", status=404)
    fake.inject_error("POST", "/users/@me/channels", status=403, code=50007, times=5)
    async with crisisbot_run(fake, team, tmp_path):
        await fake.wait_for(lambda: fake.guild_commands(team.guild), timeout=30)
        opened = await fake.slash_command(
            "incident open",
            {"severity": "cip", "title": "Lean attack", "protocol": "gifct-cip"},
            user=team.alice,
            channel=team.general,
        )
        answer = await fake.wait_for_interaction_response(opened, timeout=10)
        assert "opened" in answer["data"]["content"]
        channel = fake.channels[
            int(fake.calls("POST", "/guilds/{guild_id}/channels")[0].response["id"])
        ]
        await fake.wait_for(lambda: len(fake.messages.get(int(channel["id"]), [])) >= 6)
        ix = await fake.slash_command(
            "incident assign",
            {"role": "scribe", "user": team.bob},
            user=team.alice,
            channel=channel,
        )
        assert "is now" in (await fake.wait_for_interaction_response(ix))["data"]["content"]
        await fake.wait_for(lambda: ix.followup_ids, what="the private note", timeout=10)
        assert "could not DM" in fake.message(ix.followup_ids[0])["content"]
    assert await _stored_titles(tmp_path / "run.db") == ["Lean attack"]
