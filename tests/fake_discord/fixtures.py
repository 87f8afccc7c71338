"""pytest fixtures for end-to-end tests: `fake_discord` (a started `FakeDiscord`) and
`run_client` (`running_client` bound to it). Re-exported by tests/conftest.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import discord
import pytest

from .runner import running_client
from .server import FakeDiscord


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started fake Discord with discord.py pointed at it; add guilds before starting a bot."""
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
def run_client(
    fake_discord: FakeDiscord,
) -> Callable[..., contextlib.AbstractAsyncContextManager[Any]]:
    """`async with run_client(bot) as bot:`, i.e. `running_client` on the `fake_discord` fixture."""

    def run(client: discord.Client, **kwargs: Any) -> contextlib.AbstractAsyncContextManager[Any]:
        return running_client(client, fake_discord, **kwargs)

    return run
