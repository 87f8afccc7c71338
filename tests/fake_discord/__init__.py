"""A local fake Discord (REST, gateway websocket, CDN) for end-to-end tests of the bot with the
real discord.py client. See docs/bot.md, "Testing the bot against a local fake Discord"."""

from __future__ import annotations

from .recording import RecordedFile, RecordedRequest
from .runner import running_client
from .server import FakeDiscord
from .state import FakeGuild, FakeInteraction, FakeMember, FakeRole, FakeUser

__all__ = [
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "RecordedFile",
    "RecordedRequest",
    "running_client",
]
