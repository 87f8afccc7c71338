"""Runs a real discord.py `Client`/`commands.Bot` against a `FakeDiscord` for the length of an
`async with` block and closes it cleanly (no leaked sessions or tasks, so tests pass with
-W error). Free of pytest so benchmarks can use it too.
"""

# Takes a `timeout` like asyncio.wait_for does.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

import discord

from .server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def running_client(
    client: ClientT,
    fake: FakeDiscord,
    *,
    timeout: float = 10.0,
    guild_ready_timeout: float | None = 0.05,
    instant_reidentify: bool = True,
) -> AsyncIterator[ClientT]:
    """Start `client` against `fake`, wait until it is ready (all guilds received), yield it,
    then close it and wait for its task. A failure to log in or connect is raised here.

    discord.py waits `guild_ready_timeout` (2 s by default) after the last GUILD_CREATE before
    `on_ready`; on loopback 0.05 s is plenty, so that is set unless None is passed. Its default
    `before_identify_hook` sleeps 5 s before every IDENTIFY but the first (after an invalidated
    session); `instant_reidentify` replaces it on this instance with one that does not wait.
    """
    if guild_ready_timeout is not None:
        client._connection.guild_ready_timeout = guild_ready_timeout
    if instant_reidentify:
        client.before_identify_hook = _identify_now  # type: ignore[method-assign]
    task = asyncio.create_task(client.start(fake.token), name=f"fake-discord-client-{id(client)}")
    try:
        async with asyncio.timeout(timeout):
            while not client.is_ready():
                if task.done():
                    task.result()  # raises the login/connect error
                    raise RuntimeError("discord.py client stopped before it was ready")
                await asyncio.sleep(0.005)
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)  # let closed transports run connection_lost before the loop ends


async def _identify_now(shard_id: int | None, *, initial: bool = False) -> None:
    return None
