"""`crisisbot run` as a separate process, pointed at the fake Discord by configuration only.

This is how an outside Discord-compatible client (or a staging proxy) drives the shipped command:
``DISCORD_TOKEN``, ``DISCORD_API_BASE_URL`` and ``DISCORD_GATEWAY_URL`` in the environment, the
guild layout in the YAML config, nothing patched inside the process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
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


async def test_run_process_opens_an_incident_for_an_admin_and_refuses_others(
    fake: FakeDiscord, team: Team, tmp_path: Path
) -> None:
    db = tmp_path / "run.db"
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
        f"sqlite:///{db}",
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
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, stderr.decode()

    async with open_incident_service(
        str(db), library=ProtocolLibrary(), clock=lambda: datetime.now(UTC)
    ) as incidents:
        states = await incidents.list()
    assert [state.title for state in states] == ["Livestreamed attack"]
