"""The Discord adapter: a ``commands.Bot`` that receives every service it uses.

Outside resources (the database, the incident and hash services, the drills' exercise-hash port,
the protocol and scenario libraries) are opened or built by the caller (the composition root for
``crisisbot run``, or a test) and passed in; the bot never opens or closes them. ``setup_hook`` is
the single start-up point: it loads one extension per feature, registers the persistent
components (``DynamicItem`` templates and ``bot.forms`` forms, so buttons and forms opened before
a restart work after it), syncs the app commands to the configured guild, and starts the
background work that needs the gateway (resuming open incidents, the deadline dispatcher).

Intents are exactly what the features need (see docs/bot.md): guilds (channels and
roles), guild messages + message content (upload watch, timeline capture of edits and deletes),
guild reactions (capture by reaction). No members or presence intent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands
from discord.ext import commands

from bot import lean_payloads
from bot.channel_directory import ChannelDirectory
from bot.channel_projection import ChannelProjection
from bot.channel_recovery import ChannelRecovery
from bot.errors import reply_with_error
from bot.forms import FormDispatcher, answer_unclaimed_click
from bot.replies import DEFER_AFTER
from bot.settings import DiscordSettings
from bot.timeline_writer import TimelineWriter
from bot.views import AddUploadButton, StepButton, StepForm
from hashdb import HashService
from protocols import IncidentService, ProtocolLibrary
from protocols.drills import ExerciseHashesFactory, ScenarioLibrary

__all__ = ["DEFAULT_EXTENSIONS", "CrisisBot", "required_intents", "use_discord_endpoints"]

log = logging.getLogger(__name__)

DEFAULT_EXTENSIONS: tuple[str, ...] = (
    "bot.cogs.incidents",
    "bot.cogs.hashes",
    "bot.cogs.timeline_capture",
    "bot.cogs.upload_watch",
    "bot.cogs.deadlines",
    "bot.cogs.drills",
)


def required_intents() -> discord.Intents:
    """The gateway intents the bot asks for, and nothing more."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.guild_reactions = True
    intents.message_content = True  # privileged: attachments and text of watched/captured messages
    return intents


def use_discord_endpoints(api_base_url: str = "", gateway_url: str = "") -> None:
    """Point discord.py at Discord-compatible endpoints (a local test double, a proxy).

    discord.py keeps both as class attributes, so this affects every client in the process;
    empty values leave Discord's own endpoints in place.
    """
    if api_base_url:
        discord.http.Route.BASE = api_base_url.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class CrisisBot(commands.Bot):
    """The Discord adapter over the incident service and the hash service."""

    def __init__(
        self,
        *,
        settings: DiscordSettings,
        incidents: IncidentService,
        hashes: HashService,
        exercise_hashes: ExerciseHashesFactory,
        library: ProtocolLibrary,
        scenarios: ScenarioLibrary,
        clock: Callable[[], datetime],
        timezone: str = "UTC",
        extensions: Sequence[str] = DEFAULT_EXTENSIONS,
        sync_commands: bool = True,
        defer_after: float = DEFER_AFTER,
        **options: Any,
    ) -> None:
        options.setdefault(
            "allowed_mentions", discord.AllowedMentions(everyone=False, roles=False, users=True)
        )
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=required_intents(),
            help_command=None,
            **options,
        )
        lean_payloads.install(self)  # lean payloads from other Discords parse too
        self.settings = settings
        self.incidents = incidents
        self.hashes = hashes
        #: each ``/drill`` run's exercise-only hash list (the composition root fills the port)
        self.exercise_hashes = exercise_hashes
        self.library = library
        #: the drill scenarios ``/drill start`` offers (shipped plus ``drills.extra_dirs``)
        self.scenarios = scenarios
        self.clock = clock
        self.timezone = timezone
        self.sync_commands = sync_commands
        #: seconds after which a still-working interaction is deferred (``bot.replies``)
        self.defer_after = defer_after
        self._extensions = tuple(extensions)
        #: the Discord side of each incident: where it lives (channel, threads, messages), how
        #: it is shown (channel, pinned summary, checklists), how writes reach the timeline
        #: first, and how channels are found again after a start or made when missing
        self.channels = ChannelDirectory(self.get_channel)
        self.projection = ChannelProjection(self)
        self.timeline = TimelineWriter(self)
        self.recovery = ChannelRecovery(self)
        #: submits forms (modals) by their custom id, also those opened before a restart
        self.forms = FormDispatcher()
        self.add_listener(self.forms.on_interaction, "on_interaction")
        self.add_listener(answer_unclaimed_click, "on_interaction")
        #: set once open incidents are re-bound to their channels after the gateway is ready
        self.resumed = asyncio.Event()

    @property
    def guild_object(self) -> discord.Object:
        return discord.Object(self.settings.guild_id)

    async def setup_hook(self) -> None:
        for extension in self._extensions:
            await self.load_extension(extension)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.add_dynamic_items(StepButton, AddUploadButton)
        self.forms.add(StepForm)
        if self.sync_commands:
            await self._sync_commands()
        self.loop.create_task(self._resume_when_ready(), name="crisisbot-resume")

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Errors no cog answered: a command name the tree does not know (an older version
        Discord still offers, another client's guess) gets a private answer, not silence."""
        command = interaction.command
        if command is not None and command._has_any_error_handlers():
            return  # the cog's hook (``CrisisCog.cog_app_command_error``) answered it
        await reply_with_error(interaction, error)

    async def _sync_commands(self) -> None:
        """Register the app commands (to the guild, or globally without ``guild_id``).

        Not fatal when refused: interactions are dispatched by name from the local command tree,
        so commands registered earlier (or sent by a test double that needs no registration)
        keep working; the refusal is logged.
        """
        try:
            if self.settings.guild_id:
                self.tree.copy_global_to(guild=self.guild_object)
                synced = await self.tree.sync(guild=self.guild_object)
                log.info("synced %d app commands to guild %s", len(synced), self.settings.guild_id)
            else:  # global commands, so the bot still works where it is invited
                synced = await self.tree.sync()
                log.info("synced %d global app commands (no discord.guild_id set)", len(synced))
        except discord.HTTPException as error:
            log.warning("app commands not synced (%s); the ones registered before stay", error)

    async def _resume_when_ready(self) -> None:
        await self.wait_until_ready()
        try:
            await self.recovery.resume()
        except Exception:  # noqa: BLE001 - a failed resume must not kill the bot; it is logged
            log.exception("resuming open incidents failed")
        self.resumed.set()
        self.dispatch("incidents_resumed")

    async def close(self) -> None:
        for extension in reversed(list(self.extensions)):  # cogs stop their tasks (drills, timers)
            try:
                await self.unload_extension(extension)
            except Exception:  # noqa: BLE001 - closing must go on; logged
                log.exception("unloading %s failed", extension)
        await self.projection.close()
        await super().close()
