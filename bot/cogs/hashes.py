"""``/hash check|add|remove``: the hash lists from Discord, for an attachment or a typed hash.

Checking is open to every configured crisis-team role; adding and removing need the hash
coordinator role. Run in an incident channel, ``add`` links the new entries to the incident's
timeline (``LinkHashEntry``) before answering, and marks them as drill entries for a drill.
Only hashes are handled: an attachment is read, hashed and dropped (``bot.attachments``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.access import Access, actor_for
from bot.attachments import read_attachment
from bot.cogs.base import CrisisCog
from bot.errors import UserFacingError
from bot.render import match_lines, tagged
from hashdb.content_hash import ContentHash
from hashdb.errors import LowQualityHash
from hashdb.list_rules import skip_low_quality
from hashdb.records import Entry, NewEntry
from hashdb.signals import SIGNAL_NAMES, get_signal
from protocols.commands import LinkHashEntry, UnlinkHashEntry

if TYPE_CHECKING:
    from bot.client import CrisisBot

__all__ = ["Hashes", "setup"]

_SIGNAL_CHOICES = [app_commands.Choice(name=name, value=name) for name in SIGNAL_NAMES]


class Hashes(CrisisCog):
    access = Access.ANY
    command_access = {"add": Access.HASH_COORDINATOR, "remove": Access.HASH_COORDINATOR}
    private = frozenset({"check"})
    hash = app_commands.Group(name="hash", description="Check and manage the hash lists")

    async def _hashes(
        self,
        attachment: discord.Attachment | None,
        signal: str | None,
        value: str | None,
    ) -> list[ContentHash]:
        if (attachment is None) == (value is None):
            raise UserFacingError("Give either an attachment or a hash value (not both).")
        if attachment is not None:
            data = await read_attachment(attachment, max_bytes=self.bot.settings.upload_max_bytes)
            # variants: crops of the original are stored with it, so cropped copies match
            return await self.bot.hashes.hash_bytes(data, name=attachment.filename, variants=True)
        signal_type = get_signal(signal or "pdq")  # InvalidHash for an unknown type
        return [ContentHash(signal_type.name, signal_type.parse(value or ""))]

    async def _lists(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        lists = await self.bot.hashes.lists()
        needle = current.lower()
        return [
            app_commands.Choice(name=f"{hl.name} ({hl.entry_count} entries)"[:100], value=hl.name)
            for hl in lists
            if needle in hl.name.lower()
        ][:25]

    @hash.command(name="check", description="Check an attachment or a hash against the lists")
    @app_commands.describe(signal="Hash type of `value` (default pdq)", value="A hash to check")
    @app_commands.choices(signal=_SIGNAL_CHOICES)
    async def check(
        self,
        interaction: discord.Interaction,
        attachment: discord.Attachment | None = None,
        signal: str | None = None,
        value: str | None = None,
    ) -> None:
        incident_id = self.bot.channels.incident_for_channel(interaction.channel)
        drill = incident_id is not None and (await self.bot.incidents.get(incident_id)).drill
        if attachment is not None and value is None:
            # match_bytes, not hash-then-match: it also searches rotations, the mirrored pixels
            # and the content inside borders, as the upload watch and the lookup API do.
            data = await read_attachment(attachment, max_bytes=self.bot.settings.upload_max_bytes)
            results = await self.bot.hashes.match_bytes(
                data, name=attachment.filename, include_exercise=drill
            )
        else:
            hashes = await self._hashes(attachment, signal, value)
            results = await self.bot.hashes.match_many(
                [(h.signal, h.value) for h in hashes], include_exercise=drill
            )
        lines = match_lines(results) or ["No match in any list."]
        await self.reply(interaction).send("\n".join(lines)[:1980])

    @hash.command(name="add", description="Add an attachment's hashes or a hash to a list")
    @app_commands.describe(labels="Comma-separated labels, e.g. perpetrator-video,christchurch")
    @app_commands.autocomplete(list=_lists)
    @app_commands.choices(signal=_SIGNAL_CHOICES)
    async def add(
        self,
        interaction: discord.Interaction,
        list: str,
        labels: str = "",
        attachment: discord.Attachment | None = None,
        signal: str | None = None,
        value: str | None = None,
    ) -> None:
        hashes = await self._hashes(attachment, signal, value)
        label_list = tuple(part.strip() for part in labels.split(",") if part.strip())
        incident_id = self.bot.channels.incident_for_channel(interaction.channel)
        entries, skipped = await self.add_hashes(
            interaction.user,
            list,
            hashes,
            label_list,
            incident_id,
            whole_file=attachment is not None,
            # the file's name says which video (or picture) a later alert is about
            source=f"discord: {attachment.filename}" if attachment is not None else "discord",
        )
        text = f"Added {len(entries)} hash(es) to **{list}**: " + ", ".join(
            f"#{e.id} `{e.signal}`" for e in entries
        )
        text += "".join(f"\nSkipped `{item.signal}`: {reason}" for item, reason in skipped)
        if incident_id is not None:
            state = await self.bot.incidents.get(incident_id)
            linked = " (linked to the incident timeline)" if state.is_open else ""
            text = tagged(state, text + (linked or " (the incident is closed: not linked)"))
        await self.reply(interaction).send(text[:1980])

    async def add_hashes(
        self,
        user: discord.abc.User,
        list_name: str,
        hashes: list[ContentHash],
        labels: tuple[str, ...],
        incident_id: str | None,
        *,
        whole_file: bool,
        source: str = "discord",
    ) -> tuple[list[Entry], list[tuple[NewEntry, LowQualityHash]]]:
        """Add ``hashes`` to a list and, for an incident, link them in its timeline; the entries
        and the hashes skipped, with why.

        ``whole_file``: the hashes are all those of one file (an attachment, an alerted upload):
        a low-quality PDQ among them (a dark or flat picture) is skipped, not the file's other
        hashes (``hashdb.list_rules.skip_low_quality``); a hash typed alone is refused instead.
        Also used by the upload-alert button. A drill incident only ever adds to exercise lists
        (the hash database refuses a mix with ``DrillListViolation``). A closed incident's
        timeline is final: the hashes are added without a link (checked first, so the engine
        never refuses after the list has changed).
        """
        drill = False
        if incident_id is not None:
            state = await self.bot.incidents.get(incident_id)
            drill = state.drill
            if not state.is_open:
                incident_id = None
        items = [
            NewEntry(
                signal=h.signal,
                value=h.value,
                labels=labels,
                source=source,
                incident_id=incident_id,
                quality=h.quality,
                exercise=drill,
                variants=h.variants,  # crops of an attachment: cropped copies match too
            )
            for h in hashes
        ]
        skipped: list[tuple[NewEntry, LowQualityHash]] = []
        if whole_file:
            items, skipped = skip_low_quality(items)
        entries = await self.bot.hashes.add_entries(list_name, items, added_by=f"discord:{user.id}")
        if incident_id is not None:
            actor = actor_for(self.bot.settings, user)
            linked = (await self.bot.incidents.get(incident_id)).linked_hashes
            for entry in entries:
                if str(entry.id) in linked:
                    continue  # the hash was already in the list and linked to this incident
                await self.bot.timeline.execute(
                    incident_id,
                    LinkHashEntry(
                        str(entry.id),
                        entry.list_name,
                        entry.signal,
                        # the timeline names the entry; a local-feature value is 20 KB
                        get_signal(entry.signal).summary(entry.value),
                        actor=actor,
                    ),
                )
        return entries, skipped

    @hash.command(
        name="remove", description="Remove an entry from its list (kept in the audit log)"
    )
    async def remove(
        self,
        interaction: discord.Interaction,
        entry_id: int,
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        entry = await self.bot.hashes.remove_entry(
            entry_id, reason=reason, removed_by=f"discord:{interaction.user.id}"
        )
        incident_id = entry.incident_id
        text = f"Removed entry #{entry.id} from **{entry.list_name}**: {reason}"
        if incident_id is not None and self.bot.channels.binding(incident_id) is not None:
            state = await self.bot.incidents.get(incident_id)
            if str(entry.id) in state.linked_hashes and state.is_open:
                actor = actor_for(self.bot.settings, interaction.user)
                await self.bot.timeline.execute(
                    incident_id, UnlinkHashEntry(str(entry.id), reason, actor=actor)
                )
                text += f" (unlinked from incident `{incident_id}`)"
        await self.reply(interaction).send(text)


async def setup(bot: CrisisBot) -> None:
    await bot.add_cog(Hashes(bot))
