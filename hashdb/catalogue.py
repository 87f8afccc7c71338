"""The hash lists and their entries: creating, adding, removing, reading, verdicts, the change log.

``ListCatalogue`` checks every write (``hashdb.list_rules``; what a value must be is its signal
type's to say), commits it to the store and tells the write observers (``hashdb.write_events``).
It knows nothing of matching: ``HashService`` (``hashdb.service``) adds that on top and learns of
each list created here through ``_list_created``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Literal

from hashdb.content_hash import HashVariant
from hashdb.errors import EntryNotFound, HashDBError, InvalidArgument, ListNotFound
from hashdb.list_rules import check_entry, new_hash_list
from hashdb.records import MAX_ROW_ID, VERDICTS, AddedEntries, Change, Entry, HashList, NewEntry
from hashdb.store import HashStore
from hashdb.write_events import (
    ENTRY_ADD,
    ENTRY_REMOVE,
    LIST_CREATE,
    WriteBus,
    WriteEvent,
    WriteObserver,
)

__all__ = ["ListCatalogue", "system_clock"]


def system_clock() -> datetime:
    """The default clock: aware UTC now."""
    return datetime.now(UTC)


def _entry_id(entry_id: int) -> int:
    """``entry_id`` as the stores hold it; EntryNotFound for an id no store can hold (a larger
    one made SQLite raise ``OverflowError``: an internal error for ``hashdb remove`` and a 500
    from the API instead of "no such entry")."""
    value = int(entry_id)
    if not 0 < value <= MAX_ROW_ID:
        raise EntryNotFound(f"no entry with id {entry_id}")
    return value


class ListCatalogue:
    """Hash lists and entries over a ``HashStore``, every write checked and announced."""

    def __init__(self, store: HashStore, *, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self._clock = clock or system_clock
        self._writes = WriteBus()

    def now(self) -> datetime:
        moment = self._clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must return an aware datetime")
        return moment.astimezone(UTC)

    async def _list(self, name: str) -> HashList:
        hash_list = await self.store.get_list(name)
        if hash_list is None:
            raise ListNotFound(f"no hash list named {name!r}")
        return hash_list

    def _list_created(self, hash_list: HashList) -> None:
        """Called with every list this catalogue creates (``HashService`` caches them)."""

    # -- observers --------------------------------------------------------------------------
    def add_write_observer(self, observer: WriteObserver) -> None:
        """Call ``observer`` with every add, removal and list creation this service commits
        (once, however often it is registered). A failing observer is logged, not raised: the
        write is committed already. Not for the audit log: the store writes that in the write's
        own transaction (``hashdb.store.base``)."""
        self._writes.add(observer)

    def remove_write_observer(self, observer: WriteObserver) -> None:
        self._writes.remove(observer)

    # -- lists ------------------------------------------------------------------------------
    async def create_list(
        self,
        name: str,
        *,
        description: str = "",
        labels: Sequence[str] = (),
        thresholds: Mapping[str, int] | None = None,
        kind: Literal["block", "allow"] = "block",
        exercise: bool = False,
        owner: str | None = None,
        visibility: Literal["private", "shared", "public"] = "public",
        shared_with: Sequence[str] = (),
        created_by: str,
    ) -> HashList:
        """Create a list. ``thresholds`` overrides signal defaults (e.g. ``{"pdq": 20}``).

        Raises ListExists, InvalidArgument (bad name, kind, visibility or threshold).
        """
        hash_list = new_hash_list(
            name,
            description=description,
            labels=labels,
            thresholds=thresholds,
            kind=kind,
            exercise=exercise,
            owner=owner,
            visibility=visibility,
            shared_with=shared_with,
            created_by=created_by,
            at=self.now(),
        )
        created = await self.store.create_list(hash_list)
        self._list_created(created)
        await self._writes.announce(
            [WriteEvent(LIST_CREATE, created_by, f"list:{name}", {"exercise": created.exercise})]
        )
        return created

    async def get_list(self, name: str) -> HashList:
        """The list with its current ``entry_count``; ListNotFound."""
        return await self._list(name)

    async def lists(self, *, include_exercise: bool = True) -> list[HashList]:
        found = await self.store.lists()
        return [hl for hl in found if include_exercise or not hl.exercise]

    # -- entries ----------------------------------------------------------------------------
    async def add_entry(
        self,
        list_name: str,
        signal: str,
        value: str,
        *,
        labels: Sequence[str] = (),
        source: str = "",
        incident_id: str | None = None,
        added_by: str,
        quality: int | None = None,
        allow_low_quality: bool = False,
        exercise: bool = False,
        variants: Sequence[HashVariant] = (),
    ) -> Entry:
        """Add one hash to a list and log the change.

        Refuses a low-quality PDQ hash (LowQualityHash) unless ``allow_low_quality``; refuses
        mixing drill and real content (DrillListViolation: ``exercise`` must equal the list's).
        Adding a hash already active in the list returns the existing entry unchanged.
        ``variants`` (``ContentHash.variants`` of a hash computed from pixels) are stored with it.
        """
        item = NewEntry(
            signal=signal,
            value=value,
            labels=labels,
            source=source,
            incident_id=incident_id,
            quality=quality,
            allow_low_quality=allow_low_quality,
            exercise=exercise,
            variants=variants,
        )
        (entry,) = await self.add_entries(list_name, [item], added_by=added_by)
        return entry

    async def add_entries(
        self, list_name: str, items: Sequence[NewEntry], *, added_by: str
    ) -> AddedEntries:
        """Add many hashes in one transaction: every item is validated first; all or nothing.

        Items already active in the list come back as their existing entries
        (``AddedEntries.created`` says which entries are new).
        """
        if not added_by:
            raise InvalidArgument("added_by is required")
        hash_list = await self._list(list_name)
        checked = [check_entry(hash_list, item) for item in items]
        if not checked:
            return AddedEntries([], created=())
        entries = await self.store.add_entries(list_name, checked, added_by=added_by, at=self.now())
        new = {entry.id: entry for entry in entries if entry.id in entries.created}
        await self._writes.announce(
            [
                WriteEvent(
                    ENTRY_ADD,
                    added_by,
                    f"entry:{entry.id}",
                    {"list": list_name, "signal": entry.signal, "value": entry.value},
                )
                for entry in new.values()
            ]
        )
        return entries

    async def validate_entries(
        self, list_name: str, items: Sequence[NewEntry]
    ) -> list[NewEntry | HashDBError]:
        """Check items against a list without adding them: the normalised item or its error.

        Lets a bulk import report every bad line and add the rest (``add_entries`` is atomic).
        """
        hash_list = await self._list(list_name)
        out: list[NewEntry | HashDBError] = []
        for item in items:
            try:
                out.append(check_entry(hash_list, item))
            except HashDBError as exc:
                out.append(exc)
        return out

    async def remove_entry(self, entry_id: int, *, reason: str, removed_by: str) -> Entry:
        """Soft-delete an entry with a reason; EntryNotFound if missing or already removed."""
        if not reason or not reason.strip():
            raise InvalidArgument("a removal needs a reason")
        if not removed_by:
            raise InvalidArgument("removed_by is required")
        removed = await self.store.remove_entry(
            _entry_id(entry_id), reason=reason.strip(), removed_by=removed_by, at=self.now()
        )
        await self._writes.announce(
            [
                WriteEvent(
                    ENTRY_REMOVE,
                    removed_by,
                    f"entry:{removed.id}",
                    {"list": removed.list_name, "reason": reason.strip()},
                )
            ]
        )
        return removed

    async def get_entry(self, entry_id: int) -> Entry:
        stored_id = _entry_id(entry_id)
        found = await self.store.get_entries([stored_id])
        if stored_id not in found:
            raise EntryNotFound(f"no entry with id {entry_id}")
        return found[stored_id]

    async def entries(self, list_name: str, *, include_removed: bool = False) -> list[Entry]:
        await self._list(list_name)
        return await self.store.entries(list_name, include_removed=include_removed)

    async def record_feedback(
        self,
        entry_id: int,
        *,
        verdict: Literal["confirmed", "false_positive"],
        note: str = "",
        by: str,
    ) -> None:
        """Record a responder's verdict on a match of this entry (counts show on ``Entry``)."""
        if verdict not in VERDICTS:
            raise InvalidArgument(f"bad verdict {verdict!r} (expected one of {VERDICTS})")
        if not by:
            raise InvalidArgument("by is required")
        await self.store.record_feedback(
            _entry_id(entry_id), verdict=verdict, note=note, by=by, at=self.now()
        )

    async def changes(
        self, since: int = 0, limit: int = 1000, *, lists: Collection[str] | None = None
    ) -> list[Change]:
        """Change-log rows with ``seq > since``, oldest first (at most ``limit``)."""
        if not 0 <= since <= MAX_ROW_ID or limit < 1:
            raise InvalidArgument(f"since must be from 0 to {MAX_ROW_ID} and limit at least 1")
        return await self.store.changes(since, limit, None if lists is None else list(lists))
