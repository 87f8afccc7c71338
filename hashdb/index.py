"""In-memory indexes that find every stored hash within a radius of a query, exactly.

``HammingIndex`` (perceptual hashes) is a multi-index hash (Norouzi et al., "Fast exact search in
Hamming space with multi-index hashing"), written in numpy:

- the ``bits``-wide codes are split into ``m = bits/16`` chunks of 16 bits; by the pigeonhole
  principle two codes within distance ``r`` agree to within ``r // m`` bits on at least one chunk;
- so a query probes, in each chunk's table, every 16-bit key within ``r // m`` flips of its own
  chunk (17 keys per chunk for PDQ at radius 31) and verifies the candidates with a full popcount.
  Nothing within the radius can be missed: the index is exact, not approximate;
- the tables are a counting sort per chunk (row numbers ordered by key + 65,537 offsets), about
  64 bytes per 256-bit hash plus 4 MB of offsets, rebuilt in one pass (numpy's radix sort) when
  the unindexed tail grows past ``tail_limit``; rows added since the last rebuild are
  brute-forced (``np.bitwise_count``);
- removal sets a tombstone; the arrays are compacted when a quarter of the rows are dead;
- radii too large for the tables to pay off (``r // m > 2``) fall back to a brute-force scan, still
  exact;
- the search itself runs in the native module ``hashdb._hamming`` when it is built (``setup.py``;
  see its header for why), which also keeps each chunk table's codes' first two words in bucket
  order (``_prefix``, 16 bytes per hash per chunk) so a probe reads contiguous runs; it releases
  the GIL, and a batch is split across the CPUs. Without it the same answers come from numpy.

``ExactIndex`` (MD5, SHA-256) is a dict from value to rows.

Both return ``(entry_ids, distances, tags)`` arrays; a tag is a small integer the caller uses for
the list an entry belongs to, so per-list thresholds apply after one search at the largest one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from itertools import combinations
from types import ModuleType
from typing import NamedTuple

import numpy as np

_native: ModuleType | None
try:
    from hashdb import _hamming as _native
except ImportError:  # built without a C compiler: the numpy path gives the same answers
    _native = None

__all__ = ["ExactIndex", "HammingIndex", "QueryResult", "Tables", "hex_to_words"]

QueryResult = tuple[np.ndarray, np.ndarray, np.ndarray]


class Tables(NamedTuple):
    """Chunk tables from ``HammingIndex.build_tables``, for ``install``."""

    generation: int
    rows: int
    order: np.ndarray
    offsets: np.ndarray
    prefix: np.ndarray


_CHUNK_BITS = 16
_NKEYS = 1 << _CHUNK_BITS
_MAX_FLIPS = 2
#: queries searched together by ``query_many``'s numpy path
_BATCH = 64
#: code words kept in bucket order for the native search (a random pair differs in ~64 of these
#: 128 bits, so almost no candidate needs its full code read)
_PREFIX_WORDS = 2
#: a batch at least this long is split across threads by the native search
_PARALLEL_MIN = 8


def hex_to_words(values: Iterable[str], bits: int) -> np.ndarray:
    """Hex strings to an (n, bits/64) uint64 array (byte order as written)."""
    raw = b"".join(bytes.fromhex(v) for v in values)
    nbytes = bits // 8
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, nbytes).copy().view(np.uint64)


def _flip_masks(max_flips: int) -> list[np.ndarray]:
    """masks[f] = every 16-bit value with at most f bits set."""
    out = []
    for f in range(max_flips + 1):
        values = [0]
        for k in range(1, f + 1):
            values.extend(sum(1 << b for b in combo) for combo in combinations(range(16), k))
        out.append(np.array(values, dtype=np.int64))
    return out


_MASKS = _flip_masks(_MAX_FLIPS)
_EMPTY = (np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, np.int32))


class HammingIndex:
    """Exact Hamming-radius search over fixed-width binary codes with incremental add/remove."""

    def __init__(
        self,
        bits: int,
        *,
        tail_limit: int = 8192,
        native: bool = True,
        prefix: bool = True,
        auto_rebuild: bool = True,
    ) -> None:
        """``native=False`` keeps to the numpy path even when ``hashdb._hamming`` is built.

        ``prefix=False`` skips the bucket-ordered prefix tables (16 bytes per hash per chunk:
        ~250 MB per million PDQ hashes): for an index searched at a small radius, where a query
        has few candidates and memory matters more (the service's crop-variant rows).

        ``auto_rebuild=False``: searches never rebuild the tables (they scan a longer tail
        instead); the owner calls ``build_tables``/``install`` (the service, in the background)."""
        if bits % 64:
            raise ValueError("bits must be a multiple of 64")
        self.bits = bits
        self.words = bits // 64
        self.chunks = bits // _CHUNK_BITS
        self.tail_limit = tail_limit
        self._codes = np.empty((0, self.words), np.uint64)
        self._ids = np.empty(0, np.int64)
        self._tags = np.empty(0, np.int32)
        self._alive = np.empty(0, bool)
        self._n = 0
        self._dead = 0
        self._ids_sorted = True
        self._row_of: dict[int, int] | None = None
        self._built = 0
        self._order = np.empty(0, np.int32)
        self._offsets = np.zeros(self.chunks * (_NKEYS + 1), np.int64)
        self._prefix = np.empty((0, min(_PREFIX_WORDS, self.words) if prefix else 0), np.uint64)
        self.native = native and _native is not None
        self.auto_rebuild = auto_rebuild
        self._generation = 0

    def __len__(self) -> int:
        return self._n - self._dead

    # -- mutation ---------------------------------------------------------------------------
    def add(self, entry_ids: Sequence[int], values: Sequence[str], tags: Sequence[int]) -> None:
        """Index entries (hex values); ids must not already be present."""
        count = len(entry_ids)
        if count == 0:
            return
        codes = hex_to_words(values, self.bits)
        self._reserve(self._n + count)
        ids = np.asarray(entry_ids, dtype=np.int64)
        end = self._n + count
        self._codes[self._n : end] = codes
        self._ids[self._n : end] = ids
        self._tags[self._n : end] = np.asarray(tags, dtype=np.int32)
        self._alive[self._n : end] = True
        if self._ids_sorted and (
            np.any(np.diff(ids) <= 0) or (self._n and ids[0] <= self._ids[self._n - 1])
        ):
            self._ids_sorted = False
        if self._row_of is not None:
            self._row_of.update(zip(ids.tolist(), range(self._n, end), strict=True))
        self._n = end

    def remove(self, entry_ids: Iterable[int]) -> int:
        """Tombstone entries; returns how many were present."""
        removed = 0
        for entry_id in entry_ids:
            row = self._find(int(entry_id))
            if row is not None and self._alive[row]:
                self._alive[row] = False
                removed += 1
        self._dead += removed
        if self._dead > 1024 and self._dead * 4 > self._n:
            self._compact()
        return removed

    def _find(self, entry_id: int) -> int | None:
        ids = self._ids[: self._n]
        if self._ids_sorted:
            row = int(np.searchsorted(ids, entry_id))
            return row if row < self._n and ids[row] == entry_id else None
        if self._row_of is None:
            self._row_of = {int(i): r for r, i in enumerate(ids.tolist())}
        return self._row_of.get(entry_id)

    def _reserve(self, size: int) -> None:
        capacity = len(self._ids)
        if size <= capacity:
            return
        new = max(size, capacity * 2, 1024)
        self._codes = _grow(self._codes, new)
        self._ids = _grow(self._ids, new)
        self._tags = _grow(self._tags, new)
        self._alive = _grow(self._alive, new)

    def _compact(self) -> None:
        keep = np.nonzero(self._alive[: self._n])[0]
        n = len(keep)
        self._codes[:n] = self._codes[keep]
        self._ids[:n] = self._ids[keep]
        self._tags[:n] = self._tags[keep]
        self._alive[:n] = True
        self._n, self._dead, self._built = n, 0, 0
        self._row_of = None
        self._order = np.empty(0, np.int32)
        self._prefix = self._prefix[:0]
        self._generation += 1  # tables built before this describe rows that moved

    def rebuild(self) -> None:
        """Index every row in the chunk tables (called automatically when the tail is long)."""
        self.install(self.build_tables())

    def build_tables(self) -> Tables:
        """The chunk tables of every row added so far, computed without changing the index.

        Only reads rows that adds never touch again, so it may run in a worker thread while
        searches (and adds or removals) go on; ``install`` then swaps the tables in. At a million
        PDQ hashes this takes over a second, too long to hold searches up for.
        """
        n, codes, generation = self._n, self._codes, self._generation
        keys = codes[:n].view(np.uint16)  # (n, chunks)
        order = np.empty((self.chunks, n), np.int32)
        offsets = np.zeros((self.chunks, _NKEYS + 1), np.int64)
        for c in range(self.chunks):
            column = keys[:, c]
            order[c] = np.argsort(column, kind="stable")
            np.cumsum(np.bincount(column, minlength=_NKEYS), out=offsets[c, 1:])
        # offsets point into the flattened order table (chunk c's rows start at c * n), so one
        # ``take`` finds every probed range of every chunk
        offsets += (np.arange(self.chunks, dtype=offsets.dtype) * n)[:, None]
        flat = order.ravel()
        prefix = self._prefix[:0]
        if self.native and self._prefix.shape[1]:
            prefix = codes[:n, : self._prefix.shape[1]].take(flat, axis=0)
        return Tables(generation, n, flat, offsets.ravel(), prefix)

    def install(self, tables: Tables) -> bool:
        """Use tables from ``build_tables``; False (and nothing changes) if a compaction rewrote
        the rows since they were built. Rows added meanwhile stay in the scanned tail."""
        if tables.generation != self._generation or tables.rows < self._built:
            return False  # rows moved by a compaction, or a newer build is in already
        self._order, self._offsets, self._prefix = tables.order, tables.offsets, tables.prefix
        self._built = tables.rows
        return True

    def needs_rebuild(self) -> bool:
        """Whether the rows added since the last build are too many to scan on every query."""
        return self.unbuilt_rows > self.tail_limit

    @property
    def unbuilt_rows(self) -> int:
        """Rows not in the tables yet (scanned one by one on every query)."""
        return self._n - self._built

    def prepare(self) -> None:
        """Rebuild the tables now if ``needs_rebuild``; called after a bulk load so the first
        query does not pay for it."""
        if self.needs_rebuild():
            self.rebuild()

    # -- search -----------------------------------------------------------------------------
    def query(self, value: str, radius: int) -> QueryResult:
        """Every live entry within ``radius`` (inclusive) of ``value``: ids, distances, tags."""
        return self.query_many([value], radius)[0]

    def query_many(self, values: Sequence[str], radius: int) -> list[QueryResult]:
        """``query`` for each value, in order; one set of numpy calls for the whole batch."""
        if self._n == 0 or radius < 0 or not values:
            return [_EMPTY] * len(values)
        queries = hex_to_words(values, self.bits)  # (batch, words)
        flips = radius // self.chunks
        if self.auto_rebuild:
            self.prepare()
        if self.native:  # past the tables' reach (flips > 2) the kernel scans every row
            return self._native_query(queries, radius, flips)
        if flips > _MAX_FLIPS:  # brute force, one query at a time (bounded memory)
            everything = np.arange(self._n)
            return [self._verify(everything, None, q[None, :], radius)[0] for q in queries]
        out: list[QueryResult] = []
        for start in range(0, len(queries), _BATCH):  # bounds the temporaries (~4k rows a query)
            part = queries[start : start + _BATCH]
            rows, owner = self._candidates(part, flips)
            out += self._verify(rows, owner, part, radius)
        return out

    def _native_query(self, queries: np.ndarray, radius: int, flips: int) -> list[QueryResult]:
        """``query_many`` through ``hashdb._hamming``, the batch split across the CPUs."""
        if _cpus() < 2 or len(queries) < _PARALLEL_MIN:
            rows, dist, counts = self._native_search(queries, radius, flips)
        else:
            # a slice per CPU, to one pool of a thread per CPU shared by every search in the
            # process: a lone batch uses every core, concurrent batches share them without
            # oversubscribing (smaller slices cost more: each starts its prefetch pipeline cold)
            parts = np.array_split(queries, _cpus())
            futures = [_executor().submit(self._native_search, p, radius, flips) for p in parts]
            done = [future.result() for future in futures]
            rows, dist, counts = (np.concatenate(column) for column in zip(*done, strict=True))
        ids, tags = self._ids.take(rows), self._tags.take(rows)
        bounds = np.concatenate(([0], np.cumsum(counts))).tolist()
        return [
            (ids[a:b], dist[a:b], tags[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]

    def _native_search(
        self, queries: np.ndarray, radius: int, flips: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, distances and per-query hit counts; ``flips`` past the tables: brute force."""
        assert _native is not None
        queries = np.ascontiguousarray(queries)
        counts = np.empty(len(queries), np.int64)
        capacity = 64 * len(queries)
        while True:
            rows = np.empty(capacity, np.int64)
            dist = np.empty(capacity, np.int32)
            total = _native.search(
                self._codes, self._alive.view(np.uint8), self._prefix, self._order,
                self._offsets, self.words, self._prefix.shape[1], self.chunks, self._n,
                self._built, queries, radius, -1 if flips > _MAX_FLIPS else flips,
                rows, dist, counts,
            )  # fmt: skip
            if total <= capacity:
                return rows[:total], dist[:total], counts
            capacity = total

    def _candidates(self, queries: np.ndarray, flips: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Candidate rows of every query and, for a batch, the query each row belongs to.

        A true neighbour may be found through several chunks: duplicates are verified and then
        dropped among the few hits (cheaper than sorting every candidate).
        """
        batch = len(queries)
        tail = np.arange(self._built, self._n)
        parts, counts = [], np.zeros(batch, np.int64)
        if self._built:
            keys = queries.view(np.uint16).astype(np.int64)  # (batch, chunks)
            probe = keys[:, :, None] ^ _MASKS[flips]  # (batch, chunks, K)
            probe += (np.arange(self.chunks, dtype=np.int64) * (_NKEYS + 1))[:, None]
            probe = probe.reshape(batch, -1)
            starts = self._offsets.take(probe)
            lengths = self._offsets.take(probe + 1)
            lengths -= starts
            counts = lengths.sum(axis=1)
            starts, lengths = starts.ravel(), lengths.ravel()
            nonzero = lengths > 0
            starts, lengths = starts[nonzero], lengths[nonzero]
            total = int(counts.sum())
            shifts = np.cumsum(lengths)
            shifts -= lengths
            flat = np.repeat(starts - shifts, lengths)
            flat += np.arange(total)
            parts.append(self._order.take(flat))
        if len(tail):
            parts.append(np.tile(tail, batch))
        if not parts:
            return np.empty(0, np.int64), None
        rows = np.concatenate(parts) if len(parts) > 1 else parts[0]
        if batch == 1:
            return rows, None
        owner = [np.repeat(np.arange(batch), counts)] if self._built else []
        if len(tail):
            owner.append(np.repeat(np.arange(batch), len(tail)))
        return rows, np.concatenate(owner) if len(owner) > 1 else owner[0]

    def _verify(
        self, rows: np.ndarray, owner: np.ndarray | None, queries: np.ndarray, radius: int
    ) -> list[QueryResult]:
        """Exact distances of the candidates; the hits of each query (deduplicated).

        The first half of the words alone puts most candidates past the radius (a random PDQ pair
        differs in ~64 of 128 bits), so the rest is counted only for the few that remain; a word
        at a time (``x[:, w] ^ q[w]``) because numpy broadcasts a 4-wide row slowly.
        """
        batch = len(queries)
        if len(rows) == 0:
            return [_EMPTY] * batch
        x = self._codes.take(rows, axis=0)  # (candidates, words); much faster than codes[rows]
        half = (self.words + 1) // 2
        keep = np.flatnonzero(_popcount(x, queries, owner, range(half)) <= radius)
        rows, x = rows.take(keep), x.take(keep, axis=0)
        if owner is not None:
            owner = owner.take(keep)
        dist = _popcount(x, queries, owner, range(self.words))
        hit = dist <= radius
        hit &= self._alive.take(rows)
        rows, dist = rows[hit], dist[hit]
        if owner is None:
            if len(rows) > 1:
                rows, first = np.unique(rows, return_index=True)
                dist = dist[first]
            return [(self._ids.take(rows), dist, self._tags.take(rows))]
        key = owner[hit].astype(np.int64) * self._n + rows
        key, first = np.unique(key, return_index=True)
        dist = dist[first]
        owner, rows = np.divmod(key, self._n)
        bounds = np.searchsorted(owner, np.arange(batch + 1)).tolist()
        ids, tags = self._ids.take(rows), self._tags.take(rows)
        return [
            (ids[a:b], dist[a:b], tags[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]

    def memory_bytes(self) -> int:
        """Bytes held by the arrays (capacity included)."""
        arrays = (
            self._codes, self._ids, self._tags, self._alive, self._order, self._offsets,
            self._prefix,
        )  # fmt: skip
        return sum(a.nbytes for a in arrays)


def _popcount(
    x: np.ndarray, queries: np.ndarray, owner: np.ndarray | None, words: range
) -> np.ndarray:
    """Bits in ``words`` differing between each row of ``x`` and its query (``queries[owner]``,
    or the one query when ``owner`` is None)."""
    out = np.zeros(len(x), np.int32)
    for w in words:
        q = queries[0, w] if owner is None else queries[:, w].take(owner)
        out += np.bitwise_count(x[:, w] ^ q)
    return out


@cache
def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@cache
def _executor() -> ThreadPoolExecutor:
    """Threads for splitting a native batch (the kernel releases the GIL)."""
    return ThreadPoolExecutor(max_workers=_cpus(), thread_name_prefix="hamming")


def _grow(array: np.ndarray, size: int) -> np.ndarray:
    out = np.empty((size, *array.shape[1:]), array.dtype)
    out[: len(array)] = array
    return out


class ExactIndex:
    """Exact-value lookup (cryptographic digests): value -> {entry id: tag}."""

    def __init__(self) -> None:
        self._by_value: dict[str, dict[int, int]] = {}
        self._value_of: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._value_of)

    def add(self, entry_ids: Sequence[int], values: Sequence[str], tags: Sequence[int]) -> None:
        for entry_id, value, tag in zip(entry_ids, values, tags, strict=True):
            self._by_value.setdefault(value, {})[int(entry_id)] = int(tag)
            self._value_of[int(entry_id)] = value

    def remove(self, entry_ids: Iterable[int]) -> int:
        removed = 0
        for entry_id in entry_ids:
            value = self._value_of.pop(int(entry_id), None)
            if value is not None:
                bucket = self._by_value[value]
                del bucket[int(entry_id)]
                if not bucket:
                    del self._by_value[value]
                removed += 1
        return removed

    def query(self, value: str, radius: int = 0) -> QueryResult:
        bucket = self._by_value.get(value)
        if not bucket:
            return _EMPTY
        ids = np.fromiter(bucket.keys(), np.int64, len(bucket))
        tags = np.fromiter(bucket.values(), np.int32, len(bucket))
        return ids, np.zeros(len(bucket), np.int32), tags

    def query_many(self, values: Sequence[str], radius: int = 0) -> list[QueryResult]:
        return [self.query(value) for value in values]

    def memory_bytes(self) -> int:
        return 0  # not measured: Python objects; digests are a small share of any list
