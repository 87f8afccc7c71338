"""``HashService``: the hash database's one public entry point for adapters.

Owns the rules (validation, drill separation, low-quality refusal, per-list thresholds, allow lists,
likely-bad-hash flags) and keeps an in-memory exact index per signal type in step with the store.

Why the index follows the change log: several processes (API workers, the bot, a CLI import) write
to the same database. Before every lookup the service reads change-log rows newer than the last one
it applied (one indexed query, usually empty) and applies them, so rows written by any process are
visible to the next match, and a restart rebuilds the index from the log in one pass.

Stored variants (derived search hashes of entries added from pixels, ``hashdb.variants``) live in a
second exact index per perceptual signal, one row per variant keyed ``entry_id << 8 | kind``: a hit
decodes to its entry and variant kind, and the entry is reported once at its smallest distance.
Why a second index: variants are searched at the tighter ``VARIANT_RADIUS`` (PDQ 15, pHash 7), which
keeps the extra chances of an unrelated match small and lets the multi-index probe exact chunk keys,
so six variants per entry cost a fraction of six times the rows.

Construct with ``open_hash_service(db, ...)`` (an async context manager). The service imports no
adapter and takes its seams (store, clock, limits) as arguments.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Literal

from hashdb.bad_hash import BadHashMonitor
from hashdb.content_hash import ContentHash, HashVariant
from hashdb.decoding import HashLimits
from hashdb.entry_cache import EntryCache
from hashdb.errors import (
    DrillListViolation,
    EntryNotFound,
    HashDBError,
    InvalidArgument,
    ListNotFound,
    LowQualityHash,
)
from hashdb.hashing import QueryHash, hash_bytes, hash_bytes_for_query
from hashdb.index import ExactIndex, HammingIndex
from hashdb.index_guard import IndexGuard
from hashdb.records import (
    LIST_KINDS,
    VERDICTS,
    VISIBILITIES,
    Change,
    Entry,
    HashList,
    Match,
    MatchResult,
    NewEntry,
)
from hashdb.signals import PDQ_MIN_QUALITY, SIGNALS, SignalType, get_signal
from hashdb.store import HashStore, IndexChange, make_store
from hashdb.variants import VARIANT_KINDS, VARIANT_RADIUS
from hashdb.write_events import ENTRY_ADD, ENTRY_REMOVE, LIST_CREATE, WriteEvent, WriteObserver

__all__ = ["HashService", "open_hash_service", "system_clock"]

_log = logging.getLogger("hashdb.service")
_LIST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$")
_REFRESH_PAGE = 50_000
#: a genuine PDQ hash has about half its bits set (each bit is "above the median"); hashes far
#: from that come from degenerate images and are treated as low quality when no score is known
_PDQ_MIN_ONES, _PDQ_MAX_ONES = 64, 192
#: variant index keys: entry id << _KIND_BITS | kind code (n: VARIANT_KINDS[n - 1])
_KIND_BITS = 8
_KIND_CODES = {kind: code for code, kind in enumerate(VARIANT_KINDS, start=1)}
_MAX_VARIANTS = 4 * len(VARIANT_KINDS)
#: a query's hits: entry id -> (smallest distance, list, matched variant kind or None)
_Hits = dict[int, tuple[int, HashList, str | None]]


def system_clock() -> datetime:
    """The default clock: aware UTC now."""
    return datetime.now(UTC)


def _variant_keys(entry_id: int, variants: Sequence[HashVariant]) -> list[tuple[int, str]]:
    """(key, value) variant-index rows of an entry's variants, in key order."""
    rows = [
        ((entry_id << _KIND_BITS) | _KIND_CODES[v.kind], v.value)
        for v in variants
        if v.kind in _KIND_CODES  # a kind this build does not know (a newer writer) is skipped
    ]
    return sorted(dict(rows).items())


def variant_prefix(bits: int) -> bool:
    """Whether a variant index keeps prefix tables (``HammingIndex(prefix=)``).

    An entry added from pixels has ~10-14 variant rows. For 256-bit PDQ the prefix tables would
    cost 16 bytes per row per chunk (~2 GB per million entries, measured) for variants searched
    within radius 15, one probe per chunk; without them the search reads each candidate's code
    (~0.09 ms more per value at a million entries). For 64-bit pHash the prefix is the whole code
    and makes the search ~4x faster for ~400 MB per million entries: kept.
    """
    return bits <= 64


def _labels(values: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    out = []
    for value in values:
        label = str(value).strip()
        if not label:
            continue
        if len(label) > 100 or any(c in label for c in "\n\r\t"):
            raise InvalidArgument(f"bad label {label[:40]!r}: at most 100 characters, one line")
        out.append(label)
    return tuple(dict.fromkeys(out))


class HashService:
    """Hash lists, entries and matching over a ``HashStore``. See ``open_hash_service``."""

    def __init__(
        self,
        store: HashStore,
        *,
        limits: HashLimits | None = None,
        clock: Callable[[], datetime] | None = None,
        bad_hash_window: int = 1000,
        bad_hash_share: float = 0.2,
    ) -> None:
        self.store = store
        self.limits = limits or HashLimits()
        self._clock = clock or system_clock
        self._bad_hashes = BadHashMonitor(window=bad_hash_window, share=bad_hash_share)
        # the service rebuilds tables itself, in the background (``_apply``)
        self._indexes: dict[str, HammingIndex | ExactIndex] = {
            s.name: ExactIndex() if s.exact else HammingIndex(s.bits, auto_rebuild=False)
            for s in SIGNALS
        }
        self._variant_indexes = {
            s.name: HammingIndex(s.bits, prefix=variant_prefix(s.bits), auto_rebuild=False)
            for s in SIGNALS
            if not s.exact
        }
        self._seq = 0
        self._marker: object | None = None
        self._lists: dict[str, HashList] = {}
        self._lists_stale = True
        self._tags: dict[str, int] = {}
        self._tag_names: list[str] = []
        self._refresh_lock = asyncio.Lock()
        self._guard = IndexGuard()
        self._entry_cache = EntryCache()
        self._write_observers: list[WriteObserver] = []
        self._rebuilds: dict[HammingIndex, asyncio.Task[None]] = {}

    # -- helpers ----------------------------------------------------------------------------
    def now(self) -> datetime:
        moment = self._clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must return an aware datetime")
        return moment.astimezone(UTC)

    def _tag(self, list_name: str) -> int:
        tag = self._tags.get(list_name)
        if tag is None:
            tag = self._tags[list_name] = len(self._tag_names)
            self._tag_names.append(list_name)
        return tag

    async def _reload_lists(self) -> None:
        self._lists = {hl.name: hl for hl in await self.store.lists()}
        self._lists_stale = False

    async def _list(self, name: str) -> HashList:
        hash_list = await self.store.get_list(name)
        if hash_list is None:
            raise ListNotFound(f"no hash list named {name!r}")
        return hash_list

    # -- observers --------------------------------------------------------------------------
    def add_write_observer(self, observer: WriteObserver) -> None:
        """Call ``observer`` with every add, removal and list creation this service commits
        (once, however often it is registered)."""
        if observer not in self._write_observers:
            self._write_observers.append(observer)

    def remove_write_observer(self, observer: WriteObserver) -> None:
        if observer in self._write_observers:
            self._write_observers.remove(observer)

    async def _announce(self, events: Sequence[WriteEvent]) -> None:
        """Tell the observers; the write is committed already, so a failing observer is
        logged, not raised to the caller (the change log still holds the write)."""
        if not events:
            return
        for observer in self._write_observers:
            try:
                await observer(events)
            except Exception:  # noqa: BLE001 - one broken observer must not undo the others
                _log.exception("a write observer failed on %s", sorted({e.action for e in events}))

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
        if not isinstance(name, str) or not _LIST_NAME.match(name):
            raise InvalidArgument(
                f"bad list name {name!r}: 1-100 characters, letters, digits and _ . : - "
                "(starting with a letter or digit)"
            )
        if kind not in LIST_KINDS:
            raise InvalidArgument(f"bad list kind {kind!r} (expected one of {LIST_KINDS})")
        if visibility not in VISIBILITIES:
            raise InvalidArgument(f"bad visibility {visibility!r} (expected one of {VISIBILITIES})")
        if not created_by:
            raise InvalidArgument("created_by is required")
        checked: dict[str, int] = {}
        for signal_name, value in (thresholds or {}).items():
            signal = get_signal(signal_name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidArgument(f"threshold for {signal.name} must be an integer")
            if not 0 <= value <= signal.bits // 2:
                raise InvalidArgument(
                    f"threshold for {signal.name} must be between 0 and {signal.bits // 2}"
                )
            checked[signal.name] = value
        hash_list = HashList(
            name=name,
            description=description,
            labels=_labels(labels),
            thresholds=checked,
            kind=kind,
            exercise=bool(exercise),
            owner=owner,
            visibility=visibility,
            shared_with=tuple(dict.fromkeys(shared_with)),
            created_at=self.now(),
            created_by=created_by,
        )
        created = await self.store.create_list(hash_list)
        self._lists[name] = created
        await self._announce(
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
    def _check_entry(self, hash_list: HashList, item: NewEntry) -> NewEntry:
        signal = get_signal(item.signal)
        value = signal.parse(item.value)
        if item.exercise != hash_list.exercise:
            if hash_list.exercise:
                raise DrillListViolation(
                    f"list {hash_list.name!r} is an exercise list: only drill hashes "
                    "(exercise=True) may be added to it"
                )
            raise DrillListViolation(
                f"list {hash_list.name!r} holds real content: drill hashes may not be added to it"
            )
        quality = item.quality
        if quality is not None and (isinstance(quality, bool) or not 0 <= int(quality) <= 100):
            raise InvalidArgument(f"quality must be between 0 and 100, got {quality!r}")
        if signal.name == "pdq" and not item.allow_low_quality:
            self._refuse_low_quality(value, quality)
        variants = self._check_variants(signal, item)
        return NewEntry(
            signal=signal.name,
            value=value,
            labels=_labels(item.labels),
            source=str(item.source or ""),
            incident_id=item.incident_id or None,
            quality=None if quality is None else int(quality),
            allow_low_quality=item.allow_low_quality,
            exercise=item.exercise,
            variants=variants,
        )

    def _check_variants(self, signal: SignalType, item: NewEntry) -> tuple[HashVariant, ...]:
        """Known kinds, valid values of the entry's signal type, no degenerate PDQ, not too many."""
        variants = tuple(item.variants)
        if not variants:
            return ()
        if signal.exact:
            raise InvalidArgument(f"{signal.name} hashes have no variants (exact matches only)")
        if len(variants) > _MAX_VARIANTS:
            raise InvalidArgument(f"at most {_MAX_VARIANTS} variants per entry")
        checked = []
        for variant in variants:
            if not isinstance(variant, HashVariant) or variant.kind not in _KIND_CODES:
                kind = getattr(variant, "kind", variant)
                raise InvalidArgument(
                    f"unknown variant kind {kind!r} (expected one of {', '.join(VARIANT_KINDS)})"
                )
            value = signal.parse(variant.value)
            if signal.name == "pdq" and not item.allow_low_quality:
                self._refuse_low_quality(value, None)
            checked.append(HashVariant(variant.kind, value))
        return tuple(dict.fromkeys(checked))

    @staticmethod
    def _refuse_low_quality(value: str, quality: int | None) -> None:
        if quality is not None and quality < PDQ_MIN_QUALITY:
            raise LowQualityHash(
                f"PDQ hash {value} has quality {quality} (below {PDQ_MIN_QUALITY}): it comes from "
                "a flat or near-blank image and would match unrelated content; add it only "
                "deliberately (allow_low_quality / --allow-low-quality)"
            )
        ones = int(value, 16).bit_count()
        if not _PDQ_MIN_ONES <= ones <= _PDQ_MAX_ONES:
            raise LowQualityHash(
                f"PDQ hash {value} has {ones} of 256 bits set (a real PDQ hash has about 128): "
                "it is degenerate and would match unrelated content; add it only deliberately "
                "(allow_low_quality / --allow-low-quality)"
            )

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
    ) -> list[Entry]:
        """Add many hashes in one transaction: every item is validated first; all or nothing."""
        if not added_by:
            raise InvalidArgument("added_by is required")
        hash_list = await self._list(list_name)
        checked = [self._check_entry(hash_list, item) for item in items]
        if not checked:
            return []
        at = self.now()
        entries = await self.store.add_entries(list_name, checked, added_by=added_by, at=at)
        await self._announce(
            [
                WriteEvent(
                    ENTRY_ADD,
                    added_by,
                    f"entry:{entry.id}",
                    {"list": list_name, "signal": entry.signal, "value": entry.value},
                )
                for entry in entries
                if entry.added_at == at  # not a hash that was already in the list
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
                out.append(self._check_entry(hash_list, item))
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
            int(entry_id), reason=reason.strip(), removed_by=removed_by, at=self.now()
        )
        await self._announce(
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
        found = await self.store.get_entries([int(entry_id)])
        if int(entry_id) not in found:
            raise EntryNotFound(f"no entry with id {entry_id}")
        return found[int(entry_id)]

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
            int(entry_id), verdict=verdict, note=note, by=by, at=self.now()
        )

    async def changes(
        self, since: int = 0, limit: int = 1000, *, lists: Collection[str] | None = None
    ) -> list[Change]:
        """Change-log rows with ``seq > since``, oldest first (at most ``limit``)."""
        if since < 0 or limit < 1:
            raise InvalidArgument("since must be >= 0 and limit >= 1")
        return await self.store.changes(since, limit, None if lists is None else list(lists))

    # -- index ------------------------------------------------------------------------------
    async def refresh(self) -> int:
        """Apply change-log rows written since the last refresh (by any process); returns seq."""
        async with self._refresh_lock:
            marker = self.store.change_marker()
            if marker is not None and marker == self._marker:
                return self._seq  # nothing committed anywhere since the last full read
            self._entry_cache.clear()  # a removal or a verdict may have changed an entry
            while True:
                rows = await self.store.index_changes(self._seq, _REFRESH_PAGE)
                if not rows:
                    break
                async with self._guard.changing():
                    self._apply(rows)
                self._seq = rows[-1].seq
                if len(rows) < _REFRESH_PAGE:
                    break
            await self._rebuild_tables()
            # read before the log: a commit after it changes the marker and the next refresh reads
            self._marker = marker
            return self._seq

    def _apply(self, rows: Sequence[IndexChange]) -> None:
        pending: dict[str, tuple[list[int], list[str], list[int]]] = defaultdict(
            lambda: ([], [], [])
        )

        pending_variants: dict[str, tuple[list[int], list[str], list[int]]] = defaultdict(
            lambda: ([], [], [])
        )

        def flush() -> None:
            for signal_name, (ids, values, tags) in pending.items():
                self._indexes[signal_name].add(ids, values, tags)
            for signal_name, (ids, values, tags) in pending_variants.items():
                self._variant_indexes[signal_name].add(ids, values, tags)
            pending.clear()
            pending_variants.clear()

        for row in rows:
            if row.list_name not in self._lists:
                self._lists_stale = True  # created by another process since we last looked
            if row.signal not in self._indexes:
                continue  # a signal type this build does not know
            tag = self._tag(row.list_name)
            if row.kind == "add":
                ids, values, tags = pending[row.signal]
                ids.append(row.entry_id)
                values.append(row.value)
                tags.append(tag)
                keyed = _variant_keys(row.entry_id, row.variants)
                if keyed and row.signal in self._variant_indexes:
                    ids, values, tags = pending_variants[row.signal]
                    ids.extend(key for key, _ in keyed)
                    values.extend(value for _, value in keyed)
                    tags.extend([tag] * len(keyed))
            else:
                flush()
                self._indexes[row.signal].remove([row.entry_id])
                variants = self._variant_indexes.get(row.signal)
                if variants is not None and len(variants):
                    variants.remove(
                        [(row.entry_id << _KIND_BITS) | code for code in _KIND_CODES.values()]
                    )
        flush()

    async def _rebuild_tables(self) -> None:
        """After a refresh has applied every page: tables of indexes whose unbuilt tail is now
        too long to scan. Decided once for the whole refresh, so a first load read in pages
        is built once, in line, not page by page in the background."""
        for index in (*self._indexes.values(), *self._variant_indexes.values()):
            if not isinstance(index, HammingIndex) or not index.needs_rebuild():
                continue  # an ExactIndex (a dict) is always ready
            if index.unbuilt_rows > len(index) // 2:
                async with self._guard.changing():  # mostly new (a first load, a bulk import)
                    index.rebuild()
            else:
                self._rebuild_in_background(index)

    def _rebuild_in_background(self, index: HammingIndex) -> None:
        """Build ``index``'s tables in a worker thread while searches go on, then swap them in
        under the guard. Why: at a million PDQ hashes a build takes over a second, and a steady
        trickle of adds would otherwise stop every lookup for that long every few thousand adds.
        """
        if index in self._rebuilds:
            return  # one at a time; the next refresh starts another if still needed

        async def run() -> None:
            try:
                # again while adds outpace it, or a compaction made a build useless
                while index.needs_rebuild():
                    tables = await asyncio.to_thread(index.build_tables)
                    async with self._guard.changing():
                        index.install(tables)
            finally:
                del self._rebuilds[index]

        self._rebuilds[index] = asyncio.get_running_loop().create_task(
            run(), name="hashdb-index-rebuild"
        )

    async def close(self) -> None:
        """Wait for background index builds (called by ``open_hash_service`` on exit)."""
        pending = list(self._rebuilds.values())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def index_sizes(self) -> dict[str, int]:
        """Live entries per signal type in this process's index (after the last refresh)."""
        return {name: len(index) for name, index in self._indexes.items()}

    def index_rows(self) -> dict[str, int]:
        """Indexed hashes per signal type: live entries plus their stored variants."""
        return {
            name: len(index) + len(self._variant_indexes.get(name, ()))
            for name, index in self._indexes.items()
        }

    # -- matching ---------------------------------------------------------------------------
    async def _candidate_lists(
        self, lists: Collection[str] | None, include_exercise: bool
    ) -> list[HashList]:
        wanted = None if lists is None else list(dict.fromkeys(lists))
        unknown = wanted is not None and any(n not in self._lists for n in wanted)
        if unknown or self._lists_stale or not self._lists:
            await self._reload_lists()
        if wanted is None:
            chosen = list(self._lists.values())
        else:
            missing = [n for n in wanted if n not in self._lists]
            if missing:
                raise ListNotFound(f"no hash list named {missing[0]!r}")
            chosen = [self._lists[n] for n in wanted]
        return [hl for hl in chosen if include_exercise or not hl.exercise]

    async def _search(
        self,
        signal: SignalType,
        value_groups: Sequence[Sequence[str]],
        candidates: Sequence[HashList],
    ) -> list[_Hits]:
        """Per group of values: entry id -> (smallest distance, list, variant kind or None) within
        the list's threshold.

        The distance is the smallest over the group's values and over the entry's hash and
        variants (a variant counts within ``min(list threshold, VARIANT_RADIUS)``). Every value of
        every group is searched in one batch per index (``query_many``).
        """
        if not candidates:
            return [{} for _ in value_groups]
        by_tag = {self._tag(hl.name): hl for hl in candidates}
        radius = max(hl.threshold(signal.name) for hl in candidates)
        variant_cap = VARIANT_RADIUS.get(signal.name, 0)
        variants = self._variant_indexes.get(signal.name)
        values = [value for group in value_groups for value in group]
        index = self._indexes[signal.name]
        direct, derived = await self._guard.search(
            lambda: (
                index.query_many(values, radius),
                variants.query_many(values, min(radius, variant_cap))
                if variants is not None and len(variants)
                else None,
            ),
            values=len(values),
        )
        mask = (1 << _KIND_BITS) - 1

        def consider(
            found: _Hits, entry_id: int, distance: int, tag: int, code: int, cap: int
        ) -> None:
            hash_list = by_tag.get(tag)
            if hash_list is None or distance > min(hash_list.threshold(signal.name), cap):
                return
            best = found.get(entry_id)
            # ties go to the entry's own hash (code 0), then to the first variant kind
            if best is None or (distance, code) < (best[0], _code(best[2])):
                found[entry_id] = (distance, hash_list, VARIANT_KINDS[code - 1] if code else None)

        out = []
        position = 0
        for group in value_groups:
            found: _Hits = {}
            for at in range(position, position + len(group)):
                ids, distances, tags = direct[at]
                if len(ids) == 0 and derived is None:  # most queries match nothing
                    continue
                for entry_id, distance, tag in zip(
                    ids.tolist(), distances.tolist(), tags.tolist(), strict=True
                ):
                    consider(found, entry_id, distance, tag, 0, radius)
                if derived is None:
                    continue
                keys, distances, tags = derived[at]
                for key, distance, tag in zip(
                    keys.tolist(), distances.tolist(), tags.tolist(), strict=True
                ):
                    consider(found, key >> _KIND_BITS, distance, tag, key & mask, variant_cap)
            position += len(group)
            out.append(found)
        return out

    async def _match_queries(
        self,
        queries: Sequence[QueryHash],
        lists: Collection[str] | None,
        include_exercise: bool,
    ) -> list[MatchResult]:
        await self.refresh()
        candidates = await self._candidate_lists(lists, include_exercise)
        hits: list[_Hits] = [{} for _ in queries]
        by_signal: dict[str, list[int]] = defaultdict(list)
        for position, query in enumerate(queries):
            by_signal[query.hash.signal].append(position)
        for signal_name, positions in by_signal.items():
            groups = [queries[p].search_values for p in positions]
            found_groups = await self._search(get_signal(signal_name), groups, candidates)
            for p, found in zip(positions, found_groups, strict=True):
                hits[p] = found
        wanted = {i for found in hits for i in found}
        entries = await self._entry_cache.get_many(wanted, self.store.get_entries) if wanted else {}
        results = []
        misses: Counter[str] = Counter()
        for query, found in zip(queries, hits, strict=True):
            exact = get_signal(query.hash.signal).exact
            if not found:  # most queries: counted in the bad-hash window at the end, at once
                if not exact:
                    misses[query.hash.signal] += 1
                results.append(MatchResult(query=query.hash, matches=[], allow_matches=[]))
                continue
            flagged: set[int] = set()
            if not exact:
                block_ids = [i for i, (_, hl, _) in found.items() if hl.kind == "block"]
                flagged = self._bad_hashes.observe(query.hash.signal, block_ids)
            matches = [
                Match(
                    entry=entries[entry_id],
                    list_name=hash_list.name,
                    distance=distance,
                    labels=tuple(dict.fromkeys(entries[entry_id].labels + hash_list.labels)),
                    likely_bad_hash=entry_id in flagged,
                    matched_variant=variant,
                )
                for entry_id, (distance, hash_list, variant) in sorted(
                    found.items(), key=lambda item: (item[1][0], item[0])
                )
                if entry_id in entries
            ]
            results.append(
                MatchResult(
                    query=query.hash,
                    matches=[m for m in matches if self._lists[m.list_name].kind == "block"],
                    allow_matches=[m for m in matches if self._lists[m.list_name].kind == "allow"],
                )
            )
        for signal_name, count in misses.items():
            self._bad_hashes.observe_misses(signal_name, count)
        return results

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
        it). A video gives one PDQ result per distinct sampled frame.
        """
        queries = await asyncio.to_thread(hash_bytes_for_query, data, name=name, limits=self.limits)
        return await self._match_queries(queries, lists, include_exercise)

    async def hash_bytes(
        self, data: bytes, *, name: str = "<upload>", variants: bool = False
    ) -> list[ContentHash]:
        """``hashdb.hash_bytes`` with this service's limits, off the event loop."""
        return await asyncio.to_thread(
            hash_bytes, data, name=name, limits=self.limits, variants=variants
        )


def _code(kind: str | None) -> int:
    return 0 if kind is None else _KIND_CODES[kind]


@asynccontextmanager
async def open_hash_service(
    db: str,
    *,
    limits: HashLimits | None = None,
    clock: Callable[[], datetime] | None = None,
    bad_hash_window: int = 1000,
    bad_hash_share: float = 0.2,
    store: HashStore | None = None,
    schema: str | None = None,
) -> AsyncIterator[HashService]:
    """Open the store for ``db`` (SQLite path or ``postgresql://`` DSN), migrate, load the index.

    ``schema`` selects a PostgreSQL schema (created if missing); ``store`` overrides ``db`` with a
    ready-made (unopened) store.
    """
    backend = store or make_store(db, schema=schema)
    await backend.open()
    try:
        service = HashService(
            backend,
            limits=limits,
            clock=clock,
            bad_hash_window=bad_hash_window,
            bad_hash_share=bad_hash_share,
        )
        await service.refresh()
        await service._reload_lists()
        try:
            yield service
        finally:
            await service.close()
    finally:
        await backend.close()
