"""Matching: query hashes in, ``MatchResult``s out, over the live index.

For each query the matcher asks every index that answers its signal type
(``LiveIndex.answering``) for the entries within their lists' thresholds, in one batch per index
under the ``IndexGuard`` (a large batch in a worker thread), merges the hits, reads the entries
(through the entry cache), flags likely bad hashes and splits block from allow matches. What a
hit is and how it is found is the signal types' business (``hashdb.signals.index_port``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence

from hashdb.bad_hash import BadHashMonitor
from hashdb.content_hash import QueryHash
from hashdb.entry_cache import EntryCache
from hashdb.errors import ListNotFound
from hashdb.live_index import LiveIndex
from hashdb.records import Entry, HashList, Match, MatchResult
from hashdb.signals import Hit, get_signal

__all__ = ["Matcher"]


class Matcher:
    """Searches a ``LiveIndex`` and builds the results (see the module docstring)."""

    def __init__(
        self, live: LiveIndex, entry_cache: EntryCache, bad_hashes: BadHashMonitor
    ) -> None:
        self._live = live
        self._entry_cache = entry_cache
        self._bad_hashes = bad_hashes

    async def candidate_lists(
        self, lists: Collection[str] | None, include_exercise: bool
    ) -> list[HashList]:
        """The lists to search: ``lists`` (ListNotFound for an unknown name) or all; exercise
        lists only with ``include_exercise``."""
        live = self._live
        wanted = None if lists is None else list(dict.fromkeys(lists))
        unknown = wanted is not None and any(n not in live.lists for n in wanted)
        if unknown or live.lists_stale or not live.lists:
            await live.reload_lists()
        if wanted is None:
            chosen = list(live.lists.values())
        else:
            missing = [n for n in wanted if n not in live.lists]
            if missing:
                raise ListNotFound(f"no hash list named {missing[0]!r}")
            chosen = [live.lists[n] for n in wanted]
        return [hl for hl in chosen if include_exercise or not hl.exercise]

    async def _search(
        self, signal: str, queries: Sequence[QueryHash], by_tag: Mapping[int, HashList]
    ) -> list[dict[int, Hit]]:
        """Per query of ``signal``: entry id -> its best hit in any index that answers it."""
        if not by_tag:
            return [{} for _ in queries]
        searches = [
            (index, {tag: hl.threshold(s.name) for tag, hl in by_tag.items()})
            for s, index in self._live.answering(signal)
        ]
        values = sum(len(q.search_values) for q in queries)
        per_index = await self._live.guard.search(
            lambda: [index.search(queries, limits) for index, limits in searches], values=values
        )
        if len(per_index) == 1:
            return per_index[0]
        merged: list[dict[int, Hit]] = [{} for _ in queries]
        for found in per_index:  # an entry lives in one index: the hits never collide
            for into, hits in zip(merged, found, strict=True):
                into.update(hits)
        return merged

    async def match_queries(
        self,
        queries: Sequence[QueryHash],
        lists: Collection[str] | None,
        include_exercise: bool,
    ) -> list[MatchResult]:
        """Every query's matches (the index is refreshed by the caller first)."""
        candidates = await self.candidate_lists(lists, include_exercise)
        by_tag = {self._live.tag(hl.name): hl for hl in candidates}
        hits: list[dict[int, Hit]] = [{} for _ in queries]
        by_signal: dict[str, list[int]] = defaultdict(list)
        for position, query in enumerate(queries):
            by_signal[query.hash.signal].append(position)
        for signal_name, positions in by_signal.items():
            found_groups = await self._search(signal_name, [queries[p] for p in positions], by_tag)
            for p, found in zip(positions, found_groups, strict=True):
                hits[p] = found
        wanted = {i for found in hits for i in found}
        fetch = self._live.store.get_entries
        entries = await self._entry_cache.get_many(wanted, fetch) if wanted else {}
        results = []
        misses: Counter[str] = Counter()
        for query, found in zip(queries, hits, strict=True):
            results.append(self._result(query, found, by_tag, entries, misses))
        for signal_name, count in misses.items():
            self._bad_hashes.observe_misses(signal_name, count)
        return results

    def _result(
        self,
        query: QueryHash,
        found: dict[int, Hit],
        by_tag: Mapping[int, HashList],
        entries: dict[int, Entry],
        misses: Counter[str],
    ) -> MatchResult:
        """One query's result, its matches best first; a query without any is counted in
        ``misses`` (the bad-hash window takes them at once, at the end)."""
        signal = get_signal(query.hash.signal)
        if not found:  # most queries
            if signal.flags_bad_hashes:
                misses[signal.name] += 1
            return MatchResult(query=query.hash, matches=[], allow_matches=[])
        flagged: set[int] = set()
        if signal.flags_bad_hashes:
            block_ids = [i for i, hit in found.items() if by_tag[hit.tag].kind == "block"]
            flagged = self._bad_hashes.observe(signal.name, block_ids)
        sign = -1 if signal.higher_is_better else 1
        matches: list[tuple[Match, str]] = []  # and the list's kind
        for hit in sorted(found.values(), key=lambda h: (sign * h.distance, h.entry_id)):
            entry = entries.get(hit.entry_id)
            if entry is None:
                continue
            hash_list = by_tag[hit.tag]
            match = Match(
                entry=entry,
                list_name=hash_list.name,
                distance=hit.distance,
                labels=tuple(dict.fromkeys(entry.labels + hash_list.labels)),
                likely_bad_hash=hit.entry_id in flagged,
                matched_variant=hit.variant,
                detail=hit.detail,
            )
            matches.append((match, hash_list.kind))
        return MatchResult(
            query=query.hash,
            matches=[m for m, kind in matches if kind == "block"],
            allow_matches=[m for m, kind in matches if kind == "allow"],
        )
