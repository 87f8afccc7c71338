"""Shared fixtures: the fake Discord (`fake_discord`, `run_client`) for end-to-end bot tests."""

from tests.fake_discord.fixtures import fake_discord, run_client

__all__ = ["fake_discord", "run_client"]
