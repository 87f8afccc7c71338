"""Matching: query hashes in, ``MatchResult``s out, over the live index.

For each query the matcher asks every index that answers its signal type
(``LiveIndex.answering``) for the entries within their lists' thresholds, in one batch per index
under the ``IndexGuard`` (a large batch in a worker thread), merges the hits, reads the entries
(through the entry cache), flags likely bad hashes and splits block from allow matches. What a
hit is and how it is found is the signal types' business (``hashdb.signals.index_port``).

Likely bad hashes: the matched block entries are judged by ``hashdb.bad_hash.BadHashRule`` from
their stored false-positive verdicts (read only for entries with enough of them) and from a search
of the allow lists with the entry's own value; each entry is judged once until something is
committed (the entry cache's epoch moves), since a verdict or an allow entry may have been added.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence

from hashdb.bad_hash import BadHashRule
from hashdb.content_hash import ContentHash, QueryHash
from hashdb.entry_cache import EntryCache
from hashdb.errors import ListNotFound
from hashdb.live_index import LiveIndex
from hashdb.records import Entry, HashList, Match, MatchResult
from hashdb.signals import Hit, get_signal

__all__ = ["Matcher"]


class Matcher:
    """Searches a ``LiveIndex`` and builds the results (see the module docstring)."""

    def __init__(self, live: LiveIndex, entry_cache: EntryCache, bad_hashes: BadHashRule) -> None:
        self._live = live
        self._entry_cache = entry_cache
        self._bad_hashes = bad_hashes
        self._judged: dict[int, bool] = {}  # entry id -> likely bad, in ``_judged_epoch``
        self._judged_epoch = entry_cache.epoch

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
        answering = self._live.answering(signal)
        searches = [
            (index, {tag: hl.threshold(s.name) for tag, hl in by_tag.items()})
            for s, index in answering
        ]
        values = sum(len(q.search_values) for q in queries)
        per_index = await self._live.guard.search(
            lambda: [index.search(queries, limits) for index, limits in searches],
            values=values,
            offload=any(s.costly_search for s, _ in answering),
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
        blocked = [
            entries[i]
            for found in hits
            for i, hit in found.items()
            if by_tag[hit.tag].kind == "block" and i in entries
        ]
        flagged = await self._likely_bad(blocked) if blocked else set()
        return [
            self._result(query, found, by_tag, entries, flagged)
            for query, found in zip(queries, hits, strict=True)
        ]

    async def _likely_bad(self, entries: Sequence[Entry]) -> set[int]:
        """The ids of ``entries`` (matched block entries) that ``BadHashRule`` flags."""
        if self._judged_epoch != self._entry_cache.epoch:  # something was committed
            self._judged.clear()
            self._judged_epoch = self._entry_cache.epoch
        judged = self._judged
        todo = {
            e.id: e for e in entries if e.id not in judged and get_signal(e.signal).flags_bad_hashes
        }
        if todo:
            epoch = self._entry_cache.epoch
            rule = self._bad_hashes
            counted = [i for i, e in todo.items() if rule.may_flag(e.false_positive_count)]
            verdicts = await self._live.store.verdicts(counted) if counted else {}
            allowed = await self._allowed(list(todo.values()))
            fresh = {i: rule.flags(verdicts.get(i, ()), allowed=i in allowed) for i in todo}
            if epoch == self._entry_cache.epoch:  # nothing committed meanwhile: keep them
                judged.update(fresh)
            return {e.id for e in entries if fresh.get(e.id, judged.get(e.id))}
        return {e.id for e in entries if judged.get(e.id)}

    async def _allowed(self, entries: Sequence[Entry]) -> set[int]:
        """The ids of ``entries`` whose own value matches an entry of an allow list (real
        entries against real allow lists, drill entries against drill ones)."""
        lists = self._live.lists
        allowed: set[int] = set()
        by_signal: dict[tuple[str, bool], list[Entry]] = defaultdict(list)
        for entry in entries:
            hash_list = lists.get(entry.list_name)
            if hash_list is not None:
                by_signal[entry.signal, hash_list.exercise].append(entry)
        for (signal, exercise), group in by_signal.items():
            allow_tags = {
                self._live.tag(hl.name): hl
                for hl in lists.values()
                if hl.kind == "allow" and hl.exercise == exercise
            }
            if not allow_tags:
                continue
            queries = [QueryHash(ContentHash(signal, e.value), (e.value,)) for e in group]
            found = await self._search(signal, queries, allow_tags)
            allowed.update(e.id for e, hits in zip(group, found, strict=True) if hits)
        return allowed

    def _result(
        self,
        query: QueryHash,
        found: dict[int, Hit],
        by_tag: Mapping[int, HashList],
        entries: dict[int, Entry],
        flagged: Collection[int],
    ) -> MatchResult:
        """One query's result, its matches best first (``flagged``: likely bad hashes)."""
        signal = get_signal(query.hash.signal)
        if not found:  # most queries
            return MatchResult(query=query.hash, matches=[], allow_matches=[])
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
