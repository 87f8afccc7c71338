"""Which stored pictures might be inside a query, without looking at every stored picture.

``LocalFeatureIndex`` is locality-sensitive hashing over the 256-bit ORB descriptors (Indyk and
Motwani's bit sampling): each of ``TABLES`` tables keys a descriptor by ``KEY_BITS`` of its bits
(fixed, disjoint, drawn once from a constant seed so every process builds the same tables). Two
descriptors of the same corner differ in ~22 bits (median, real photos under heavy edits), so they
share a table's key with probability ~0.2, and at least one of six keys ~0.7 of the time; two
unrelated descriptors (~128 bits apart) share one of 2^20 keys rarely (real corners look alike,
so about 25 times as often as random bits would). A query looks up its descriptors' keys, counts
for every stored picture how many keys they share with it (its votes), and only the pictures with
the most votes (at least ``MIN_VOTES``) go on to geometric verification (``verify``). Nothing
is scanned per stored picture: the cost grows with the number of stored descriptors sharing a
key, not with the number of pictures.

Layout, per table: a counting sort of the stored rows by key (``2^KEY_BITS + 1`` offsets and one
uint32 slot number per row: 4 bytes per indexed descriptor per table), rebuilt in one pass when
the rows added since the last build (searched by a plain comparison meanwhile) pass
``tail_limit``. Keys shared by more than ``max_bucket`` stored rows are skipped at query time: a
key that common (a flat or repeated patch) is a stop word that votes for everything.

The features themselves (for verification) come from a ``FeatureSource``: in memory by default
(about 15 KB an entry), or any callable that loads the candidates' blobs from a store.

Owns candidate retrieval and the decision across the query and its mirror image; numpy only,
plus ``verify``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from hashdb.localfeatures.features import DESCRIPTOR_BYTES, LocalFeatures
from hashdb.localfeatures.verify import GeometricMatch, verify

__all__ = [
    "KEY_BITS",
    "MIN_VOTES",
    "TABLES",
    "FeatureSource",
    "LocalFeatureIndex",
    "LocalFeatureMatch",
]

TABLES = 6
KEY_BITS = 20
#: a picture with fewer votes is not verified (a real copy with ``MIN_INLIERS`` pairs gets ~10)
MIN_VOTES = 4
#: candidates verified per query picture (the query, then its mirror image), most votes first
CANDIDATES = 6
#: the seed the key bits are drawn from: changing it changes every key (rebuild, not migrate)
_SEED = 20240611

#: entry id -> its features, for the candidates of one query (None if it is gone)
FeatureSource = Callable[[int], LocalFeatures | None]


@dataclass(frozen=True)
class LocalFeatureMatch:
    """A stored picture found inside a query: its entry id, votes and verified transform."""

    entry_id: int
    votes: int
    transform: GeometricMatch


@dataclass(frozen=True)
class _Built:
    """Tables made by ``LocalFeatureIndex.build_tables``: from the tables of ``generation``
    and the first ``chunks`` tail chunks."""

    generation: int
    chunks: int
    offsets: list[np.ndarray]
    slots: list[np.ndarray]


def _merged(
    offsets: np.ndarray,
    slots: np.ndarray,
    keys: np.ndarray,
    new_slots: np.ndarray,
    alive: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One table (offsets by key, slots) with the rows ``keys``/``new_slots`` merged in and the
    rows of dead slots left out. The table's rows are sorted by key already: only the new rows
    are sorted, then inserted at the end of their key's run."""
    size = 1 << KEY_BITS
    counts = np.diff(offsets).astype(np.int64)
    live = alive[slots]
    if not live.all():  # removed entries' rows leave the table
        old_keys = np.repeat(np.arange(size, dtype=np.uint32), counts)[live]
        slots = slots[live]
        counts = np.bincount(old_keys, minlength=size).astype(np.int64)
    fresh = alive[new_slots]
    keys, new_slots = keys[fresh], new_slots[fresh]
    order = np.argsort(keys, kind="stable")
    keys, new_slots = keys[order], new_slots[order]
    ends = np.concatenate([[0], np.cumsum(counts)])
    merged = np.insert(slots, ends[keys.astype(np.int64) + 1], new_slots).astype(np.uint32)
    counts += np.bincount(keys, minlength=size)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.uint32), merged


def _key_bits() -> np.ndarray:
    """(TABLES, KEY_BITS) disjoint bit positions of the 256."""
    order = np.random.default_rng(_SEED).permutation(DESCRIPTOR_BYTES * 8)
    return order[: TABLES * KEY_BITS].reshape(TABLES, KEY_BITS)


_BITS = _key_bits()
_WEIGHTS = (1 << np.arange(KEY_BITS, dtype=np.uint32)).astype(np.uint32)


def descriptor_keys(descriptors: np.ndarray) -> np.ndarray:
    """(n, TABLES) uint32 keys of (n, 32) uint8 descriptors."""
    bits = np.unpackbits(descriptors, axis=1)
    return np.stack([bits[:, b].astype(np.uint32) @ _WEIGHTS for b in _BITS], axis=1)


class LocalFeatureIndex:
    """Entries' descriptors in ``TABLES`` LSH tables, with add, remove and ``match``."""

    def __init__(
        self,
        *,
        source: FeatureSource | None = None,
        rows_per_entry: int = 400,
        tail_limit: int = 200_000,
        max_bucket: int = 2048,
        auto_rebuild: bool = True,
    ) -> None:
        """``source``: where verification reads an entry's features (default: this index keeps
        what ``add`` was given). ``rows_per_entry``: descriptors indexed per entry, in selection
        order (the strongest of every region first); fewer take less memory and find fewer.
        ``auto_rebuild=False``: ``add`` never folds the tail into the tables; the owner does
        (``needs_rebuild``, ``build_tables`` in a worker thread, ``install``)."""
        self._source = source
        self._kept: dict[int, LocalFeatures] = {}
        self.rows_per_entry = rows_per_entry
        self.tail_limit = tail_limit
        self.max_bucket = max_bucket
        self.auto_rebuild = auto_rebuild
        self._slot_of: dict[int, int] = {}
        self._ids: list[int] = []
        self._alive = np.zeros(0, bool)
        # allocated by the first rebuild: an index never built costs nothing
        self._offsets: list[np.ndarray] = []
        self._slots: list[np.ndarray] = []
        self._generation = 0  # moves with every install: a build from older tables is stale
        self._tail_keys: list[np.ndarray] = []
        self._tail_slots: list[np.ndarray] = []
        self._tail_rows = 0
        # per table, the keys and slots of the first ``_tail_merged`` tail chunks, sorted
        self._tail_sorted: list[tuple[np.ndarray, np.ndarray]] = []
        self._tail_merged = 0
        self._batching = False  # in ``add_many``: one rebuild and one merge at the end

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._slot_of

    def memory_bytes(self) -> int:
        """Bytes held by the tables (not the features kept for verification)."""
        tables = sum(o.nbytes + s.nbytes for o, s in zip(self._offsets, self._slots, strict=True))
        tail = sum(
            k.nbytes + s.nbytes for k, s in zip(self._tail_keys, self._tail_slots, strict=True)
        )
        tail += sum(k.nbytes + s.nbytes for k, s in self._tail_sorted)
        return tables + tail + self._alive.nbytes

    @property
    def indexed_rows(self) -> int:
        """Descriptor rows in the tables and the tail (removed entries' rows until a rebuild)."""
        return (len(self._slots[0]) if self._slots else 0) + self._tail_rows

    @property
    def unbuilt_rows(self) -> int:
        """Rows added since the tables were last built (searched in the sorted tail)."""
        return self._tail_rows

    def needs_rebuild(self) -> bool:
        return self._tail_rows > self.tail_limit

    def add(self, entry_id: int, features: LocalFeatures) -> None:
        """Index ``features`` under ``entry_id`` (replacing what it had)."""
        if entry_id in self._slot_of:
            self.remove(entry_id)
        slot = len(self._ids)
        self._ids.append(entry_id)
        self._slot_of[entry_id] = slot
        if slot >= len(self._alive):  # grown by doubling: adding n entries stays O(n)
            self._alive = np.concatenate([self._alive, np.zeros(max(64, slot), bool)])
        self._alive[slot] = True
        if self._source is None:
            self._kept[entry_id] = features
        keys = descriptor_keys(features.descriptors[: self.rows_per_entry])
        self._tail_keys.append(keys)
        self._tail_slots.append(np.full(len(keys), slot, np.uint32))
        self._tail_rows += len(keys)
        if self._batching:
            return
        if self.auto_rebuild and self.needs_rebuild():
            self.rebuild()
        self.prepare()

    def add_many(self, items: Iterable[tuple[int, LocalFeatures]]) -> None:
        """``add`` for many entries, then at most one rebuild (when the tail is past
        ``tail_limit`` and ``auto_rebuild``), and the tail made ready for searching."""
        self._batching = True
        try:
            for entry_id, features in items:
                self.add(entry_id, features)
        finally:
            self._batching = False
        if self.auto_rebuild and self.needs_rebuild():
            self.rebuild()
        self.prepare()

    def prepare(self) -> None:
        """Merge the tail's new rows into its sorted copy now, so that searches only read
        (several may run at once, in threads, while nothing is added: see
        ``hashdb.signals.index_port``). Costs the tail's size, not a sort of it."""
        if self._tail_merged == len(self._tail_keys):
            return
        keys = np.concatenate(self._tail_keys[self._tail_merged :])
        slots = np.concatenate(self._tail_slots[self._tail_merged :])
        if not self._tail_sorted:
            empty = (np.zeros(0, np.uint32), np.zeros(0, np.uint32))
            self._tail_sorted = [empty] * TABLES
        merged = []
        for t, (sorted_keys, sorted_slots) in enumerate(self._tail_sorted):
            order = np.argsort(keys[:, t], kind="stable")
            new_keys, new_slots = keys[order, t], slots[order]
            at = np.searchsorted(sorted_keys, new_keys, "right")
            merged.append(
                (np.insert(sorted_keys, at, new_keys), np.insert(sorted_slots, at, new_slots))
            )
        self._tail_sorted = merged
        self._tail_merged = len(self._tail_keys)

    def remove(self, entry_id: int) -> None:
        slot = self._slot_of.pop(entry_id, None)
        if slot is not None:
            self._alive[slot] = False
            self._kept.pop(entry_id, None)

    def rebuild(self) -> None:
        """Fold the tail into the tables, in line (``install(build_tables())``)."""
        self.install(self.build_tables())

    def build_tables(self) -> _Built:
        """New tables holding the current tables and the tail, without removed entries' rows;
        only reads this index, so it may run in a worker thread while searches go on (adds and
        removals meanwhile are kept: see ``install``). Each table's rows are already sorted by
        key, so the tail is merged in (the cost of a copy, not of a sort)."""
        chunks = len(self._tail_keys)
        alive = self._alive
        base_slots = self._slots or [np.zeros(0, np.uint32)] * TABLES
        base_offsets = self._offsets or [np.zeros((1 << KEY_BITS) + 1, np.uint32)] * TABLES
        if chunks:
            keys = np.concatenate(self._tail_keys[:chunks])
            slots = np.concatenate(self._tail_slots[:chunks])
        else:
            keys, slots = np.zeros((0, TABLES), np.uint32), np.zeros(0, np.uint32)
        if len(base_slots[0]) + len(slots) >= 1 << 32:
            raise OverflowError("local-feature index: more than 2^32 indexed descriptors")
        offsets, table_slots = [], []
        for t in range(TABLES):
            built = _merged(base_offsets[t], base_slots[t], keys[:, t], slots, alive)
            offsets.append(built[0])
            table_slots.append(built[1])
        return _Built(self._generation, chunks, offsets, table_slots)

    def install(self, built: _Built) -> bool:
        """Swap in tables from ``build_tables``; False (nothing changes) when other tables were
        installed since it began. The tail chunks it folded in leave the tail; those added
        meanwhile stay there."""
        if built.generation != self._generation:
            return False
        self._offsets, self._slots = built.offsets, built.slots
        self._generation += 1
        del self._tail_keys[: built.chunks], self._tail_slots[: built.chunks]
        self._tail_rows = sum(len(k) for k in self._tail_keys)
        self._tail_sorted, self._tail_merged = [], 0
        self.prepare()
        return True

    def _hits(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query rows, slots) of every stored row sharing a key with a query row."""
        rows_out: list[np.ndarray] = []
        slots_out: list[np.ndarray] = []
        for t in range(TABLES):
            column = keys[:, t].astype(np.int64)
            if self._offsets:
                lo = self._offsets[t][column].astype(np.int64)
                hi = self._offsets[t][column + 1].astype(np.int64)
                self._gather(lo, hi, self._slots[t], rows_out, slots_out)
            for sorted_keys, sorted_slots in self._tail_sorted[t : t + 1]:
                lo = np.searchsorted(sorted_keys, column, "left")
                hi = np.searchsorted(sorted_keys, column, "right")
                self._gather(lo, hi, sorted_slots, rows_out, slots_out)
        if not rows_out:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(rows_out), np.concatenate(slots_out).astype(np.int64)

    def _gather(
        self,
        lo: np.ndarray,
        hi: np.ndarray,
        slots: np.ndarray,
        rows_out: list[np.ndarray],
        slots_out: list[np.ndarray],
    ) -> None:
        """Append the (query row, slot) pairs of the ranges lo[i]:hi[i], skipping stop words."""
        size = hi - lo
        size[size > self.max_bucket] = 0
        total = int(size.sum())
        if total:
            starts = np.repeat(lo - np.cumsum(size) + size, size)
            rows_out.append(np.repeat(np.arange(len(lo)), size))
            slots_out.append(slots[starts + np.arange(total)])

    def candidates(
        self,
        query: LocalFeatures,
        limit: int = CANDIDATES,
        accept: Callable[[int], bool] | None = None,
    ) -> list[tuple[int, int]]:
        """Up to ``limit`` (entry id, votes) with at least ``MIN_VOTES``, most votes first;
        only entries ``accept`` keeps (the lists searched), so others never crowd them out."""
        if not self._slot_of or len(query) == 0:
            return []
        rows, slots = self._hits(descriptor_keys(query.descriptors))
        if not len(rows):
            return []
        # a vote per shared key: a true pair shares several of its six keys more often than a
        # chance one does, so counting each table's hit weighs it up (and costs one bincount)
        votes = np.bincount(slots, minlength=len(self._ids))
        votes[~self._alive[: len(votes)]] = 0
        best = np.flatnonzero(votes >= MIN_VOTES)
        best = best[np.argsort(-votes[best], kind="stable")]
        out: list[tuple[int, int]] = []
        for slot in best.tolist():
            if len(out) == limit:
                break
            entry_id = self._ids[slot]
            if accept is None or accept(entry_id):
                out.append((entry_id, int(votes[slot])))
        return out

    def _features(self, entry_id: int) -> LocalFeatures | None:
        if self._source is not None:
            return self._source(entry_id)
        return self._kept.get(entry_id)

    def verified(
        self,
        query: LocalFeatures,
        *,
        mirrored: bool = False,
        accept: Callable[[int], bool] | None = None,
    ) -> list[LocalFeatureMatch]:
        """The candidates of one picture (``candidates``) that pass ``verify``; ``mirrored``
        labels the transforms (the caller passes the mirror image's features)."""
        found = []
        for entry_id, votes in self.candidates(query, accept=accept):
            stored = self._features(entry_id)
            if stored is None:
                continue
            transform = verify(query, stored, mirrored=mirrored)
            if transform is not None:
                found.append(LocalFeatureMatch(entry_id, votes, transform))
        return found

    def match(
        self,
        query: LocalFeatures | None,
        mirrored: LocalFeatures | None | Callable[[], LocalFeatures | None] = None,
    ) -> list[LocalFeatureMatch]:
        """Every verified match of the query, most inliers first; when it has none, those of
        its mirror image (``mirrored`` may be a callable computing it only then: an upload that
        matches as it is need not pay for its mirror image's features)."""
        found: list[LocalFeatureMatch] = []
        for features, is_mirror in ((query, False), (mirrored, True)):
            if found:
                break
            if callable(features):
                features = features()
            if features is not None:
                found = self.verified(features, mirrored=is_mirror)
        return sorted(found, key=lambda m: -m.transform.inliers)
