"""The shipped signal indexes: digests by dict, perceptual hashes by Hamming radius with variants.

``ExactSignalIndex`` (MD5, SHA-256) wraps ``hashdb.index.ExactIndex``.

``HammingSignalIndex`` (PDQ, pHash) holds two ``hashdb.index.HammingIndex``: the entries' own
hashes, and their stored variants (derived search hashes of entries added from pixels,
``hashdb.variants``), one row per variant keyed ``entry_id << 8 | kind``: a hit decodes to its
entry and variant kind, and the entry is reported once at its smallest distance. Why a second
index: variants are searched at the tighter ``variant_radius`` (PDQ 15, pHash 7), which keeps the
extra chances of an unrelated match small and lets the multi-index probe exact chunk keys, so six
variants per entry cost a fraction of six times the rows.

Both implement ``hashdb.signals.index_port.SignalIndex``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from hashdb.content_hash import HashVariant, QueryHash
from hashdb.index import ExactIndex, HammingIndex
from hashdb.signals.index_port import Hit, IndexRows, Rebuildable

__all__ = ["ExactSignalIndex", "HammingSignalIndex", "variant_prefix"]

#: variant index keys: entry id << KIND_BITS | kind code (n: kinds[n - 1])
KIND_BITS = 8
_MASK = (1 << KIND_BITS) - 1
#: an entry's best so far: (distance, variant kind code (0: its own hash), tag)
_Best = tuple[int, int, int]


def variant_prefix(bits: int) -> bool:
    """Whether a variant index keeps prefix tables (``HammingIndex(prefix=)``).

    An entry added from pixels has ~10-14 variant rows. For 256-bit PDQ the prefix tables would
    cost 16 bytes per row per chunk (~2 GB per million entries, measured) for variants searched
    within radius 15, one probe per chunk; without them the search reads each candidate's code
    (~0.09 ms more per value at a million entries). For 64-bit pHash the prefix is the whole code
    and makes the search ~4x faster for ~400 MB per million entries: kept.
    """
    return bits <= 64


class ExactSignalIndex:
    """Identical values only (cryptographic digests): every hit is at distance 0."""

    def __init__(self) -> None:
        self._index = ExactIndex()

    def __len__(self) -> int:
        return len(self._index)

    def rows(self) -> int:
        return len(self._index)

    def add(self, rows: IndexRows) -> None:
        self._index.add(rows.entry_ids, rows.values, rows.tags)

    def remove(self, entry_ids: Iterable[int]) -> None:
        self._index.remove(entry_ids)

    def search(
        self, queries: Sequence[QueryHash], limits: Mapping[int, int]
    ) -> list[dict[int, Hit]]:
        out = []
        for query in queries:
            found: dict[int, Hit] = {}
            for value in query.search_values:
                ids, _, tags = self._index.query(value)
                for entry_id, tag in zip(ids.tolist(), tags.tolist(), strict=True):
                    if tag in limits and entry_id not in found:
                        found[entry_id] = Hit(entry_id, tag, 0)
            out.append(found)
        return out

    def parts(self) -> Sequence[Rebuildable]:
        return ()


class HammingSignalIndex:
    """Fixed-width hex hashes within a list's Hamming threshold, and their stored variants."""

    def __init__(self, bits: int, *, variant_kinds: Sequence[str], variant_radius: int) -> None:
        """``variant_kinds``: the kinds stored variants may have, in tie-breaking order (a kind
        not in it, from a newer writer, is not indexed); ``variant_radius``: the largest distance
        at which a variant counts (never above the list's threshold)."""
        if len(variant_kinds) > _MASK:
            raise ValueError(f"at most {_MASK} variant kinds")
        # the owner (the live index) builds the tables, in the background
        self.entries = HammingIndex(bits, auto_rebuild=False)
        self.variants = HammingIndex(bits, prefix=variant_prefix(bits), auto_rebuild=False)
        self.variant_radius = variant_radius
        self._kinds = tuple(variant_kinds)
        self._codes = {kind: code for code, kind in enumerate(self._kinds, start=1)}

    def __len__(self) -> int:
        return len(self.entries)

    def rows(self) -> int:
        return len(self.entries) + len(self.variants)

    def parts(self) -> Sequence[Rebuildable]:
        return (self.entries, self.variants)

    def _variant_keys(
        self, entry_id: int, variants: Sequence[HashVariant]
    ) -> list[tuple[int, str]]:
        """(key, value) variant-index rows of an entry's variants, in key order."""
        rows = [
            ((entry_id << KIND_BITS) | self._codes[v.kind], v.value)
            for v in variants
            if v.kind in self._codes  # a kind this build does not know (a newer writer) is skipped
        ]
        return sorted(dict(rows).items())

    def add(self, rows: IndexRows) -> None:
        self.entries.add(rows.entry_ids, rows.values, rows.tags)
        if not any(rows.variants):  # entries added by hash alone: the usual bulk import
            return
        keys: list[int] = []
        values: list[str] = []
        tags: list[int] = []
        for entry_id, tag, variants in zip(rows.entry_ids, rows.tags, rows.variants, strict=True):
            if variants:
                keyed = self._variant_keys(entry_id, variants)
                keys.extend(key for key, _ in keyed)
                values.extend(value for _, value in keyed)
                tags.extend([tag] * len(keyed))
        self.variants.add(keys, values, tags)

    def remove(self, entry_ids: Iterable[int]) -> None:
        ids = list(entry_ids)
        self.entries.remove(ids)
        if len(self.variants):
            codes = self._codes.values()
            self.variants.remove([(i << KIND_BITS) | code for i in ids for code in codes])

    def search(
        self, queries: Sequence[QueryHash], limits: Mapping[int, int]
    ) -> list[dict[int, Hit]]:
        """Per query: entry id -> hit within ``limits[tag]``, at the smallest distance over the
        query's values and over the entry's hash and variants (a variant counts within
        ``min(limit, variant_radius)``). Every value of every query is searched in one batch per
        table (``query_many``); ties go to the entry's own hash, then to the first variant kind.
        """
        if not limits:
            return [{} for _ in queries]
        radius = max(limits.values())
        cap = self.variant_radius
        values = [value for query in queries for value in query.search_values]
        direct = self.entries.query_many(values, radius)
        derived = self.variants.query_many(values, min(radius, cap)) if len(self.variants) else None
        out = []
        position = 0
        for query in queries:
            best: dict[int, _Best] = {}
            for at in range(position, position + len(query.search_values)):
                ids, distances, tags = direct[at]
                if len(ids):  # most queries match nothing
                    for entry_id, distance, tag in zip(
                        ids.tolist(), distances.tolist(), tags.tolist(), strict=True
                    ):
                        _consider(best, limits, entry_id, distance, tag, 0, radius)
                if derived is None:
                    continue
                keys, distances, tags = derived[at]
                for key, distance, tag in zip(
                    keys.tolist(), distances.tolist(), tags.tolist(), strict=True
                ):
                    _consider(best, limits, key >> KIND_BITS, distance, tag, key & _MASK, cap)
            position += len(query.search_values)
            out.append(
                {
                    entry_id: Hit(entry_id, tag, distance, self._kinds[code - 1] if code else None)
                    for entry_id, (distance, code, tag) in best.items()
                }
            )
        return out


def _consider(
    best: dict[int, _Best],
    limits: Mapping[int, int],
    entry_id: int,
    distance: int,
    tag: int,
    code: int,
    cap: int,
) -> None:
    """Keep the hit if within its list's limit (and ``cap``) and nearer than the entry's best."""
    limit = limits.get(tag)
    if limit is None or distance > min(limit, cap):
        return
    seen = best.get(entry_id)
    if seen is None or (distance, code) < seen[:2]:
        best[entry_id] = (distance, code, tag)
