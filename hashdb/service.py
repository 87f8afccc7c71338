"""``HashService``: the hash database's one public entry point for adapters.

The facade over the parts that do the work, each in its own module:

- ``hashdb.list_rules``: what a list and an entry must be (names, labels, drill separation; the
  signal type's own checks: form, low quality, variants, thresholds);
- ``hashdb.live_index``: the in-memory index of every signal type, kept in step with the store's
  change log (refresh, background table builds, list tags);
- ``hashdb.matcher``: searching it and building ``MatchResult`` (per-list thresholds, allow lists,
  likely-bad-hash flags);
- ``hashdb.write_events``: the observers told of every committed write (not the audit log: the
  store writes that in each write's own transaction, ``hashdb.audit_log``).

Writes go to the store here (validate, write, announce); every match first refreshes the index
so rows written by any process are visible. What differs between signal types lives with the
types (``hashdb.signals``): adding one edits nothing here (``docs/signal-types.md``).

Construct with ``open_hash_service(db, ...)`` (an async context manager). The service imports no
adapter and takes its seams (store, clock, limits) as arguments.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Literal

from hashdb.bad_hash import BadHashRule
from hashdb.content_hash import ContentHash, HashVariant, QueryHash
from hashdb.decoding import HashLimits
from hashdb.entry_cache import EntryCache
from hashdb.errors import EntryNotFound, HashDBError, InvalidArgument, ListNotFound
from hashdb.hashing import hash_bytes, hash_bytes_for_query
from hashdb.hashing_pool import HashingPool
from hashdb.list_rules import check_entry, new_hash_list
from hashdb.live_index import LiveIndex
from hashdb.matcher import Matcher
from hashdb.records import (
    MAX_ROW_ID,
    VERDICTS,
    AddedEntries,
    Change,
    Entry,
    HashList,
    MatchResult,
    NewEntry,
)
from hashdb.signals import get_signal
from hashdb.store import HashStore, make_store
from hashdb.write_events import (
    ENTRY_ADD,
    ENTRY_REMOVE,
    LIST_CREATE,
    WriteBus,
    WriteEvent,
    WriteObserver,
)

__all__ = ["HashService", "open_hash_service", "system_clock"]


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


class HashService:
    """Hash lists, entries and matching over a ``HashStore``. See ``open_hash_service``."""

    def __init__(
        self,
        store: HashStore,
        *,
        limits: HashLimits | None = None,
        clock: Callable[[], datetime] | None = None,
        bad_hash_min_sources: int = 2,
    ) -> None:
        self.store = store
        self.limits = limits or HashLimits()
        self._clock = clock or system_clock
        self._entry_cache = EntryCache()
        self._live = LiveIndex(store, self._entry_cache)
        self._matcher = Matcher(
            self._live,
            self._entry_cache,
            BadHashRule(min_sources=bad_hash_min_sources),
        )
        self._writes = WriteBus()
        self._hashing = HashingPool(self.limits.max_concurrent_decodes)

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
        self._live.lists[name] = created
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

    # -- index ------------------------------------------------------------------------------
    async def refresh(self) -> int:
        """Apply change-log rows written since the last refresh (by any process); returns seq."""
        return await self._live.refresh()

    async def _reload_lists(self) -> None:
        await self._live.reload_lists()

    async def close(self) -> None:
        """Wait for background index builds, stop the hashing threads (called by
        ``open_hash_service`` on exit)."""
        self._hashing.close()
        await self._live.close()

    def index_sizes(self) -> dict[str, int]:
        """Live entries per signal type in this process's index (after the last refresh)."""
        return self._live.sizes()

    def index_rows(self) -> dict[str, int]:
        """Indexed hashes per signal type: live entries plus their stored variants."""
        return self._live.rows()

    # -- matching ---------------------------------------------------------------------------
    async def _match_queries(
        self,
        queries: Sequence[QueryHash],
        lists: Collection[str] | None,
        include_exercise: bool,
    ) -> list[MatchResult]:
        await self.refresh()
        return await self._matcher.match_queries(queries, lists, include_exercise)

    async def match(
        self,
        signal: str,
        value: str,
        *,
        lists: Collection[str] | None = None,
        include_exercise: bool = False,
    ) -> MatchResult:
        """Every entry within its list's threshold of one hash (InvalidHash if malformed).

        ``lists`` restricts the search (ListNotFound for an unknown name); exercise lists are
        searched only with ``include_exercise``. Allow-list hits come back in ``allow_matches``.
        """
        (result,) = await self.match_many(
            [(signal, value)], lists=lists, include_exercise=include_exercise
        )
        return result

    async def match_many(
        self,
        queries: Sequence[tuple[str, str]],
        *,
        lists: Collection[str] | None = None,
        include_exercise: bool = False,
    ) -> list[MatchResult]:
        """``match`` for a batch, in order; every hash is validated before any is searched."""
        parsed = []
        for signal_name, value in queries:
            signal = get_signal(signal_name)
            normal = signal.parse(value)
            parsed.append(QueryHash(ContentHash(signal.name, normal), (normal,)))
        return await self._match_queries(parsed, lists, include_exercise)

    async def match_bytes(
        self,
        data: bytes,
        *,
        name: str = "<upload>",
        lists: Collection[str] | None = None,
        include_exercise: bool = False,
    ) -> list[MatchResult]:
        """Hash ``data`` (never stored) and match every hash: md5, sha256, pdq, phash.

        An image's PDQ is searched with its 8 dihedral variants (rotated and mirrored copies match),
        both PDQ and pHash with the hash of the mirrored pixels and of the content inside uniform
        borders (``hashdb.hashing.hash_bytes_for_query``); stored variants of entries added from
        pixels are searched too. A result carries the original hash as ``query`` and each entry
        once, at its smallest distance (``Match.matched_variant`` says which stored variant gave
        it). A video gives one PDQ result per distinct sampled frame. Hashed in the service's
        hashing pool, as ``hash_bytes``.
        """
        queries = await self._hashing.run(hash_bytes_for_query, data, name=name, limits=self.limits)
        return await self._match_queries(queries, lists, include_exercise)

    async def hash_bytes(
        self, data: bytes, *, name: str = "<upload>", variants: bool = False
    ) -> list[ContentHash]:
        """``hashdb.hash_bytes`` with this service's limits, in its hashing pool: off the event
        loop, at most ``limits.max_concurrent_decodes`` at once (``hashdb.hashing_pool``)."""
        return await self._hashing.run(
            hash_bytes, data, name=name, limits=self.limits, variants=variants
        )


@asynccontextmanager
async def open_hash_service(
    db: str,
    *,
    limits: HashLimits | None = None,
    clock: Callable[[], datetime] | None = None,
    bad_hash_min_sources: int = 2,
    store: HashStore | None = None,
    schema: str | None = None,
) -> AsyncIterator[HashService]:
    """Open the store for ``db`` (SQLite path or ``postgresql://`` DSN), migrate, load the index.

    ``schema`` selects a PostgreSQL schema (created if missing); ``store`` overrides ``db`` with a
    ready-made (unopened) store. ``bad_hash_min_sources``: how many distinct sources' false-positive
    verdicts flag an entry as a likely bad hash (``hashdb.bad_hash``).
    """
    backend = store or make_store(db, schema=schema)
    await backend.open()
    try:
        service = HashService(
            backend,
            limits=limits,
            clock=clock,
            bad_hash_min_sources=bad_hash_min_sources,
        )
        await service.refresh()
        await service._reload_lists()
        try:
            yield service
        finally:
            await service.close()
    finally:
        await backend.close()
