"""Snowflake ids shaped like Discord's: ms since the Discord epoch, worker, process, increment.

Owns id generation for the fake Discord so ids sort by creation time and
`discord.utils.snowflake_time` gives a sensible datetime (discord.py uses message ids to pick
the delete-message sub-rate-limit).
Must not import discord.py: ids are plain ints.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000


class SnowflakeFactory:
    """Produces strictly increasing snowflakes from a wall clock (`time.time` by default)."""

    def __init__(
        self, clock: Callable[[], float] = time.time, *, worker_id: int = 1, process_id: int = 0
    ) -> None:
        self._clock = clock
        self._worker_process = ((worker_id & 0x1F) << 17) | ((process_id & 0x1F) << 12)
        self._last_ms = 0
        self._increment = 0

    def __call__(self) -> int:
        ms = max(int(self._clock() * 1000) - DISCORD_EPOCH_MS, self._last_ms)
        if ms == self._last_ms:
            self._increment += 1
            if self._increment > 0xFFF:
                ms += 1
                self._increment = 0
        else:
            self._increment = 0
        self._last_ms = ms
        return (ms << 22) | self._worker_process | self._increment


def snowflake_time(snowflake: int) -> datetime:
    """The aware UTC creation time encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso_timestamp(snowflake: int) -> str:
    """Discord's ISO 8601 timestamp for the moment a snowflake was made."""
    return snowflake_time(snowflake).isoformat()
