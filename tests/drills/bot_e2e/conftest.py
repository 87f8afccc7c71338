"""The bot's end-to-end fixtures (fake Discord, team, services on SQLite, manual clock)."""

from tests.bot.conftest import clock, fake, services, team

__all__ = ["clock", "fake", "services", "team"]
