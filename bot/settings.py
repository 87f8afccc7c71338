"""The Discord bot's settings: the ``discord`` section of the configuration.

Why here and not in ``crisisbot.config``: the bot reads them (``bot.client``, ``bot.access``), and
the bot must not import the ``crisisbot`` wiring that imports it. ``crisisbot.config`` loads this
section from the YAML file and the environment like every other one.
Imports only the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DiscordSettings"]


@dataclass
class DiscordSettings:
    """Ids of the guild objects the bot works with; the token only comes from the environment."""

    token: str = field(default="", repr=False)
    guild_id: int = 0
    incident_category_id: int = 0
    responder_role_ids: list[int] = field(default_factory=list)
    incident_admin_role_ids: list[int] = field(default_factory=list)
    hash_coordinator_role_ids: list[int] = field(default_factory=list)
    watched_channel_ids: list[int] = field(default_factory=list)
    alert_channel_id: int = 0
    summary_edit_interval_seconds: float = 2.0
    capture_emoji: str = "\N{PUSHPIN}"  # reacting with it adds a message to the timeline
    upload_max_bytes: int = 25 * 1024 * 1024  # larger watched uploads are not downloaded
    #: Discord-compatible endpoints; empty means Discord's own. Set them to run the bot against a
    #: local test double (also ``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL``).
    api_base_url: str = ""  # e.g. http://127.0.0.1:9000/api/v10
    gateway_url: str = ""  # e.g. ws://127.0.0.1:9000/gateway
