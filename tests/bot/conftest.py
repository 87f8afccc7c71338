"""End-to-end harness: the real ``CrisisBot`` (discord.py client) against ``FakeDiscord``.

The fake enforces Discord's 3 s interaction deadline, so every test also checks that the bot
answers in time. A test gets a guild with the three configured roles, people holding them (and
people who hold none), the incident category, a watched channel and an alert channel; services
on a SQLite file in ``tmp_path`` (so a second bot instance can be started on the same database,
as after a restart); and a controllable clock for deadlines.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.client import CrisisBot
from bot.settings import DiscordSettings
from crisisbot.drill_hashes import exercise_hashes_over
from hashdb import HashService, open_hash_service
from protocols import IncidentService, ProtocolLibrary, open_incident_service
from protocols.drills import ScenarioLibrary
from tests.fake_discord import FakeDiscord, FakeGuild, FakeMember, FakeRole
from tests.fake_discord.fixtures import running_client


class Clock:
    """The injected clock: starts at the real time (so snowflake times agree); moves on demand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Team:
    guild: FakeGuild
    admin_role: FakeRole
    responder_role: FakeRole
    coordinator_role: FakeRole
    alice: FakeMember  # incident admin + responder
    bob: FakeMember  # responder
    carol: FakeMember  # hash coordinator + responder
    dave: FakeMember  # no configured role (a named participant from outside)
    mallory: FakeMember  # no configured role
    category: dict[str, Any]
    general: dict[str, Any]
    watched: dict[str, Any]
    alerts: dict[str, Any]

    def settings(self, **overrides: Any) -> DiscordSettings:
        values: dict[str, Any] = {
            "token": "unused-the-fake-token-is-passed-to-start",
            "guild_id": self.guild.id,
            "incident_category_id": int(self.category["id"]),
            "responder_role_ids": [self.responder_role.id],
            "incident_admin_role_ids": [self.admin_role.id],
            "hash_coordinator_role_ids": [self.coordinator_role.id],
            "watched_channel_ids": [int(self.watched["id"])],
            "alert_channel_id": int(self.alerts["id"]),
            "summary_edit_interval_seconds": 0.05,
        }
        values.update(overrides)
        return DiscordSettings(**values)


@dataclass
class Services:
    incidents: IncidentService
    hashes: HashService
    library: ProtocolLibrary


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(interaction_deadline=3.0) as fake_discord:  # as Discord: 3 s
        yield fake_discord


@pytest.fixture
def team(fake: FakeDiscord) -> Team:
    guild = fake.add_guild("Crisis response")
    admin = guild.add_role("incident-admin")
    responder = guild.add_role("responder")
    coordinator = guild.add_role("hash-coordinator")
    category = guild.add_category("Incidents")
    return Team(
        guild=guild,
        admin_role=admin,
        responder_role=responder,
        coordinator_role=coordinator,
        alice=guild.add_member("alice", roles=[admin, responder]),
        bob=guild.add_member("bob", roles=[responder]),
        carol=guild.add_member("carol", roles=[coordinator, responder]),
        dave=guild.add_member("dave"),
        mallory=guild.add_member("mallory"),
        category=category,
        general=guild.add_text_channel("general"),
        watched=guild.add_text_channel("uploads"),
        alerts=guild.add_text_channel("crisis-alerts"),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def services(tmp_path: Path, clock: Clock) -> AsyncIterator[Services]:
    db = str(tmp_path / "crisisbot.db")
    library = ProtocolLibrary()
    async with (
        open_incident_service(db, library=library, clock=clock) as incidents,
        open_hash_service(db, clock=clock) as hashes,
    ):
        yield Services(incidents, hashes, library)


BotRunner = Callable[..., contextlib.AbstractAsyncContextManager[CrisisBot]]


@pytest.fixture
def start_bot(fake: FakeDiscord, team: Team, services: Services, clock: Clock) -> BotRunner:
    """``async with start_bot() as bot:`` runs a fresh bot until ready and resumed."""

    @contextlib.asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[CrisisBot]:
        bot = CrisisBot(
            settings=team.settings(**overrides),
            incidents=services.incidents,
            hashes=services.hashes,
            exercise_hashes=exercise_hashes_over(services.hashes),
            library=services.library,
            scenarios=ScenarioLibrary(services.library),
            clock=clock,
        )
        async with running_client(bot, fake):
            await asyncio.wait_for(bot.resumed.wait(), timeout=5)
            yield bot

    return run


def sample_image(seed: int, size: int = 256) -> bytes:
    """A smooth random image (8x8 random colours, bilinear-scaled): a high-quality PDQ hash that
    survives re-encoding, unlike flat images or pixel noise."""
    rng = random.Random(seed)
    small = Image.new("RGB", (8, 8))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(64)])
    out = io.BytesIO()
    small.resize((size, size), Image.Resampling.BILINEAR).save(out, format="PNG")
    return out.getvalue()


def as_jpeg(png: bytes, quality: int = 90) -> bytes:
    """The same picture re-encoded: different bytes (md5/sha256), nearly the same PDQ."""
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


async def list_with_pdq_of(services: Services, image: bytes, list_name: str = "tve") -> str:
    """Create ``list_name`` holding the PDQ hash of ``image``; that hash."""
    await services.hashes.create_list(list_name, created_by="test")
    (pdq,) = [h for h in await services.hashes.hash_bytes(image) if h.signal == "pdq"]
    await services.hashes.add_entry(list_name, "pdq", pdq.value, added_by="test")
    return pdq.value
