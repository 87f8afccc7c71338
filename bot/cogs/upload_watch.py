"""Upload watch: attachments posted in watched channels are hashed and checked against the lists.

Threads of a watched channel are watched too. Each attachment up to ``discord.upload_max_bytes``
is downloaded, hashed (the bytes are dropped at once, ``bot.attachments``) and matched. A match
posts an alert to ``discord.alert_channel_id`` with distance, list and labels, the upload's
hashes, and one button per matched list that adds the upload's hashes to that list (hash
coordinator role only; ``bot.views.AddUploadButton``).
Matches against entries linked to an open incident are recorded in that incident's timeline
first; if the alert channel is missing or refuses the post, the alert goes to that incident's
channel instead.

The alert message itself carries the hashes and the incident id, so the button works after a
restart without any state kept by the bot.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.access import service_actor
from bot.attachments import read_attachment
from bot.errors import UserFacingError, best_effort
from bot.render import match_lines
from bot.replies import reply_for
from bot.views import AddUploadButton
from hashdb.content_hash import ContentHash
from hashdb.errors import HashDBError
from protocols.actors import HASH_COORDINATOR, TIMELINE_RECORDER, Actor
from protocols.commands import RecordMatch

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["UploadWatch", "alert_embed", "carried", "hashes_from_alert", "setup"]

log = logging.getLogger(__name__)

HASHES_FIELD = "Upload hashes"
#: the longest value an alert carries (a SHA-256 is 64 hex digits; see ``carried``)
CARRIED_VALUE_MAX = 128
INCIDENT_FOOTER = "incident "


def alert_embed(
    message: discord.Message, results: list[Any], hashes: list[ContentHash], incident_id: str | None
) -> discord.Embed:
    embed = discord.Embed(
        title="🚩 Upload matches the hash lists",
        description=f"{message.author.mention} in <#{message.channel.id}>: {message.jump_url}",
        colour=0xE74C3C,
    )
    embed.add_field(
        name="Matches", value="\n".join(match_lines(results, limit=8))[:1024], inline=False
    )
    embed.add_field(
        name=HASHES_FIELD,
        value="\n".join(f"{h.signal}:{h.value}" for h in carried(hashes))[:1024],
        inline=False,
    )
    if incident_id is not None:
        embed.set_footer(text=f"{INCIDENT_FOOTER}{incident_id}")
    return embed


def carried(hashes: list[ContentHash]) -> list[ContentHash]:
    """The hashes an alert carries for its button: those short enough for an embed field
    (1,024 characters for all). A local-feature value is 20 KB: it is left out, so the button
    adds the upload's hashes without it (``/hash add`` with the file stores its local features)."""
    return [h for h in hashes if len(h.value) <= CARRIED_VALUE_MAX]


def hashes_from_alert(message: discord.Message | None) -> tuple[list[ContentHash], str | None]:
    """The upload's hashes and incident id written into an alert by :func:`alert_embed`."""
    embed = message.embeds[0] if message is not None and message.embeds else None
    if embed is None:
        raise UserFacingError("This alert no longer carries the upload's hashes.")
    field = next((f for f in embed.fields if f.name == HASHES_FIELD), None)
    if field is None or not field.value:
        raise UserFacingError("This alert no longer carries the upload's hashes.")
    hashes = [
        ContentHash(signal, value)
        for line in field.value.splitlines()
        for signal, _, value in [line.partition(":")]
        if value
    ]
    footer = embed.footer.text or ""
    incident_id = (
        footer.removeprefix(INCIDENT_FOOTER) if footer.startswith(INCIDENT_FOOTER) else None
    )
    return hashes, incident_id


class UploadWatch(commands.Cog):
    def __init__(self, bot: CrisisBot) -> None:
        self.bot = bot

    def _watcher(self) -> Actor:
        return service_actor(self.bot.user, TIMELINE_RECORDER, HASH_COORDINATOR)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or not message.attachments:
            return
        watched = self.bot.settings.watched_channel_ids
        if self.bot.channels.home_channel_id(message.channel) not in watched:
            return  # neither a watched channel nor a thread of one
        for attachment in message.attachments:
            try:
                await self.check_upload(message, attachment)
            except (HashDBError, UserFacingError) as refusal:
                # not an image or video, over the size limit, not downloadable: most uploads in
                # a busy channel are documents and such, so a line each, no traceback
                log.info(
                    "upload %s in %s not checked: %s",
                    attachment.filename,
                    message.channel.id,
                    refusal,
                )
            except Exception:  # noqa: BLE001 - one bad upload must not stop the others
                log.exception(
                    "upload %s in %s not checked", attachment.filename, message.channel.id
                )

    async def check_upload(self, message: discord.Message, attachment: discord.Attachment) -> bool:
        """Hash, match, alert and record one upload; True when it matched."""
        data = await read_attachment(attachment, max_bytes=self.bot.settings.upload_max_bytes)
        results = await self.bot.hashes.match_bytes(data, name=attachment.filename)
        del data  # only hashes are kept
        hashes = [r.query for r in results]
        matched = [m for r in results for m in r.matches]
        if not matched:
            return False
        incident_id = await self._record_matches(matched)
        view = discord.ui.View(timeout=None)
        for list_name in dict.fromkeys(m.list_name for m in matched):
            if len(view.children) < 5:
                view.add_item(AddUploadButton(list_name))
        embed = alert_embed(message, results, hashes, incident_id)
        for channel in self._alert_channels(incident_id):
            if await best_effort(
                f"post an upload alert in {channel.id}", channel.send(embed=embed, view=view)
            ):
                return True
        log.error("upload match in %s could not be reported anywhere", message.channel.id)
        return True

    def _alert_channels(self, incident_id: str | None) -> list[discord.TextChannel]:
        """The alert channel, then (if it is missing or refuses) the matched incident's channel."""
        binding = None if incident_id is None else self.bot.channels.binding(incident_id)
        ids = [self.bot.settings.alert_channel_id, binding.channel_id if binding else 0]
        found = [
            self.bot.get_channel(channel_id) for channel_id in dict.fromkeys(ids) if channel_id
        ]
        return [channel for channel in found if isinstance(channel, discord.TextChannel)]

    async def _record_matches(self, matched: list[Any]) -> str | None:
        """Record matches of entries linked to open incidents; the first such incident's id."""
        first: str | None = None
        for match in matched:
            incident_id = match.entry.incident_id
            if not incident_id or self.bot.channels.binding(incident_id) is None:
                continue
            state = await self.bot.incidents.get(incident_id)
            if str(match.entry.id) not in state.linked_hashes or not state.is_open:
                continue
            await self.bot.timeline.execute(
                incident_id,
                RecordMatch(str(match.entry.id), "discord upload watch", actor=self._watcher()),
            )
            first = first or incident_id
        return first

    async def add_alerted_upload(self, interaction: discord.Interaction, list_name: str) -> None:
        """The alert button: add the upload's hashes to ``list_name`` (access already checked)."""
        hashes, incident_id = hashes_from_alert(interaction.message)
        if incident_id is not None and not (await self.bot.incidents.get(incident_id)).is_open:
            incident_id = None  # closed since the alert: its timeline is final
        cog = self.bot.get_cog("Hashes")
        if cog is None:
            raise RuntimeError("the hashes extension is not loaded")
        entries, _ = await cog.add_hashes(  # type: ignore[attr-defined]
            interaction.user, list_name, hashes, (), incident_id, whole_file=True
        )
        await reply_for(interaction).send(
            f"{interaction.user.mention} added the upload to **{list_name}** "
            f"({len(entries)} hash(es))"
            + (f", linked to incident `{incident_id}`." if incident_id else "."),
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def setup(bot: CrisisBot) -> None:
    await bot.add_cog(UploadWatch(bot))
