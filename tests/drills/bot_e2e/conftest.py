"""The bot's end-to-end fixtures: fake Discord, team, services on SQLite, manual clock, bot."""

from tests.bot.conftest import clock, fake, services, start_bot, team

__all__ = ["clock", "fake", "services", "start_bot", "team"]
