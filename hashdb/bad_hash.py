"""Spotting likely bad hashes: entries that match a large share of recent queries.

A hash of a flat, generic or widely reused image (a black frame, a logo) that slips into a list
matches far more uploads than real perpetrator content ever would, and floods responders. The
monitor keeps the matched entry ids of the last ``window`` queries per signal type and flags an
entry when it matched at least ``share`` of them. Nothing is flagged before ``min_queries`` queries
have been seen (one query matching one entry is 100 %, and means nothing). The window is per
process: each API worker judges from the traffic it serves.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Collection

__all__ = ["BadHashMonitor"]

_NOTHING: frozenset[int] = frozenset()


class BadHashMonitor:
    def __init__(self, *, window: int = 1000, share: float = 0.2, min_queries: int = 20) -> None:
        if window < 1 or not 0 < share <= 1:
            raise ValueError("window must be >= 1 and share in (0, 1]")
        self.window = window
        self.share = share
        self.min_queries = min(min_queries, window)
        self._recent: dict[str, deque[frozenset[int]]] = {}
        self._counts: dict[str, Counter[int]] = {}

    def observe_misses(self, signal: str, count: int) -> None:
        """Record ``count`` queries that matched nothing (``observe(signal, ())`` each, at once:
        most of a batch)."""
        if count <= 0:
            return
        self._window(signal).extend([_NOTHING] * count)
        self._slide(signal)

    def _slide(self, signal: str) -> None:
        """Drop the oldest queries past the window, and their matches from the counts."""
        recent, counts = self._recent[signal], self._counts[signal]
        while len(recent) > self.window:
            for old in recent.popleft():
                counts[old] -= 1
                if counts[old] <= 0:
                    del counts[old]

    def _window(self, signal: str) -> deque[frozenset[int]]:
        recent = self._recent.get(signal)
        if recent is None:
            recent = self._recent[signal] = deque()
            self._counts[signal] = Counter()
        return recent

    def observe(self, signal: str, matched: Collection[int]) -> set[int]:
        """Record one query and its matched entry ids; return the ids now flagged as likely bad."""
        recent = self._window(signal)
        counts = self._counts[signal]
        ids = frozenset(matched) if matched else _NOTHING  # most queries match nothing
        recent.append(ids)
        if ids:
            counts.update(ids)
        self._slide(signal)
        if not ids or len(recent) < self.min_queries:
            return set()
        needed = self.share * len(recent)
        return {i for i in ids if counts[i] >= needed}
