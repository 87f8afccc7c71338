"""Answering an interaction inside Discord's 3 seconds, however long the work before it takes.

Discord forgets an interaction that gets no callback within 3 s ("Unknown interaction"), but an
action may legitimately take longer: a 429 with a long ``retry_after`` on channel creation, a
5xx that discord.py retries after 1 s, downloading and hashing an attachment, a slow database.
A :class:`Reply` is started as soon as a handler knows it will act; if the handler has not
answered after ``defer_after`` seconds (2 s by default, ``CrisisBot.defer_after``), a watchdog
defers the interaction ("thinking…" for commands, a silent deferred update for buttons and
forms), and the real answer then replaces it. The answer itself is sent only after the work,
so the timeline is always written before anything confirms it.

One lock orders the watchdog and the answer, so an interaction is never acknowledged twice
(Discord refuses the second callback with 40060). ``bot.errors.reply_with_error`` finds the
reply in ``interaction.extras`` and answers through it.

In a drill channel every text answer is marked ``[DRILL]`` here, so no handler can forget it;
answers longer than Discord's 2000 characters are cut here too.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

__all__ = ["DEFER_AFTER", "AnswerNotDelivered", "Reply", "reply_for", "start_reply"]

log = logging.getLogger(__name__)

#: Seconds after which an unanswered interaction is deferred (Discord's limit is 3 s).
DEFER_AFTER = 2.0
_EXTRAS_KEY = "crisisbot.reply"
_DRILL_MARK = "**[DRILL]** "
_MAX_CONTENT = 2000  # Discord's limit for a message's content


class AnswerNotDelivered(Exception):
    """Discord refused the answer itself; whatever the handler stored before it stays stored."""

    def __init__(self, error: discord.HTTPException) -> None:
        super().__init__(str(error))
        self.error = error


class Reply:
    """The one answer (and any private follow-ups) of one interaction."""

    def __init__(
        self,
        interaction: discord.Interaction,
        *,
        ephemeral: bool = False,
        update: bool = False,
        drill: bool = False,
        defer_after: float | None = DEFER_AFTER,
    ) -> None:
        self.interaction = interaction
        self.ephemeral = ephemeral
        #: a component or form whose answer edits the message it is on
        self.update = update
        self.drill = drill
        self._lock = asyncio.Lock()
        self._pending_original = False  # deferred with "thinking…", the answer not sent yet
        self._watchdog: asyncio.Task[None] | None = None
        if defer_after is not None:
            self._watchdog = asyncio.get_running_loop().create_task(
                self._defer_later(defer_after), name=f"defer-{interaction.id}"
            )
        interaction.extras[_EXTRAS_KEY] = self

    async def _defer_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        async with self._lock:
            response = self.interaction.response
            if response.is_done():
                return
            try:
                if self.update:
                    await response.defer()
                else:
                    await response.defer(ephemeral=self.ephemeral, thinking=True)
                    self._pending_original = True
            except discord.HTTPException:
                log.warning("could not defer interaction %s", self.interaction.id, exc_info=True)
            else:
                log.info("interaction %s deferred: the work takes longer", self.interaction.id)

    def _stop_watchdog(self) -> None:
        if self._watchdog is not None and not self._watchdog.done():
            self._watchdog.cancel()

    def mark(self, content: str | None) -> str | None:
        """``content`` marked as a drill in a drill channel, and cut to Discord's 2000 characters
        (an answer quoting a long note must not be refused after the note is stored)."""
        if content is None:
            return None
        if self.drill and "DRILL" not in content:
            content = _DRILL_MARK + content
        return content if len(content) <= _MAX_CONTENT else content[: _MAX_CONTENT - 1] + "…"

    async def send(self, content: str | None = None, **kwargs: Any) -> None:
        """The answer as a new message (``embed``, ``file``, ``allowed_mentions``, ``view``)."""
        try:
            await self._send(self.mark(content), **kwargs)
        except discord.HTTPException as error:
            raise AnswerNotDelivered(error) from error

    async def _send(self, content: str | None, **kwargs: Any) -> None:
        async with self._lock:
            self._stop_watchdog()
            interaction = self.interaction
            if self._pending_original:
                self._pending_original = False
                file = kwargs.pop("file", None)
                if file is not None:
                    kwargs["attachments"] = [file]
                await interaction.edit_original_response(content=content, **kwargs)
            elif interaction.response.is_done():
                await interaction.followup.send(content or "", ephemeral=self.ephemeral, **kwargs)
            else:
                await interaction.response.send_message(content, ephemeral=self.ephemeral, **kwargs)

    async def edit(self, **kwargs: Any) -> None:
        """The answer of a button or form: edit the message it is on (``embed``, ``view``)."""
        try:
            async with self._lock:
                self._stop_watchdog()
                if self.interaction.response.is_done():
                    await self.interaction.edit_original_response(**kwargs)
                else:
                    await self.interaction.response.edit_message(**kwargs)
        except discord.HTTPException as error:
            raise AnswerNotDelivered(error) from error

    async def whisper(self, content: str) -> None:
        """A private note to the user after the answer (what the bot could not do); never raises."""
        try:
            async with self._lock:
                self._stop_watchdog()
                await self.interaction.followup.send(self.mark(content) or "", ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell %s: %s", self.interaction.user.id, content, exc_info=True)

    async def fail(self, content: str) -> None:
        """An error message, privately, whatever was already sent."""
        content = self.mark(content) or ""
        async with self._lock:
            self._stop_watchdog()
            response = self.interaction.response
            if self._pending_original and self.ephemeral:
                self._pending_original = False
                await self.interaction.edit_original_response(content=content)
            elif self._pending_original:  # a public "thinking…": drop it, answer privately
                self._pending_original = False
                try:
                    await self.interaction.delete_original_response()
                except discord.HTTPException:
                    log.warning("could not remove the pending answer of %s", self.interaction.id)
                await self.interaction.followup.send(content, ephemeral=True)
            elif response.is_done():
                await self.interaction.followup.send(content, ephemeral=True)
            else:
                await response.send_message(content, ephemeral=True)


def _in_drill_channel(interaction: discord.Interaction) -> bool:
    channels = getattr(interaction.client, "channels", None)  # CrisisBot.channels
    return bool(channels is not None and channels.is_drill_channel(interaction.channel))


def start_reply(
    interaction: discord.Interaction, *, ephemeral: bool = False, update: bool = False
) -> Reply:
    """Start the reply of ``interaction`` (its watchdog runs from now on)."""
    existing = interaction.extras.get(_EXTRAS_KEY)
    if isinstance(existing, Reply):
        return existing
    return Reply(
        interaction,
        ephemeral=ephemeral,
        update=update,
        drill=_in_drill_channel(interaction),
        defer_after=getattr(interaction.client, "defer_after", DEFER_AFTER),
    )


def reply_for(interaction: discord.Interaction) -> Reply:
    """The reply started for ``interaction``, or one without a watchdog (answers at once)."""
    existing = interaction.extras.get(_EXTRAS_KEY)
    if isinstance(existing, Reply):
        return existing
    return Reply(interaction, drill=_in_drill_channel(interaction), defer_after=None)
