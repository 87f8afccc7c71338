"""The index of ``orb`` entries: ``hashdb.localfeatures.LocalFeatureIndex`` behind the index port.

``LocalFeatureSignalIndex`` implements ``hashdb.signals.index_port.SignalIndex``:

- ``add`` decodes each entry's stored blob once and indexes its descriptors (LSH tables, see
  ``hashdb.localfeatures.index``); a stored value this build cannot read (a newer blob version, a
  row edited by hand) is skipped with a warning rather than stopping every refresh;
- ``search`` verifies, per query, the best candidates among the entries of the lists searched,
  and reports an entry when its verified inliers reach its list's threshold
  (``limits[tag]``; higher is better), with the transform as the hit's ``detail``
  (``GeometricMatch.to_dict``: inliers, scale, rotation, region, mirrored). The query is its
  ``detail[FEATURES]`` when it comes from pixels, else its ``search_values`` read as blobs. Its
  mirror image (``detail[MIRROR]``, a callable) is searched only when the picture itself found
  nothing within the limits;
- ``parts()`` is the LSH tables (``LocalFeatureTables``): descriptors added since the last
  build are searched in a sorted tail; once it passes ``tail_limit`` rows the live index builds
  new tables, in a worker thread while searches go on (or in line when most rows are new, as on
  a first load), and swaps them in. So an add never makes lookups wait for a rebuild.

Searches only read (``LocalFeatureIndex.prepare`` is called after every add), so several may run
at once in worker threads, as the port requires.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from hashdb.content_hash import QueryHash
from hashdb.errors import InvalidHash
from hashdb.localfeatures import LocalFeatureIndex, LocalFeatures, decode, from_text
from hashdb.signals.index_port import Hit, IndexRows, Rebuildable

__all__ = ["FEATURES", "MIRROR", "LocalFeatureSignalIndex", "LocalFeatureTables"]

log = logging.getLogger(__name__)

#: ``QueryHash.detail`` keys of a query made from pixels: its ``LocalFeatures`` and a callable
#: giving its mirror image's (or None)
FEATURES = "features"
MIRROR = "mirror"

_Picture = Callable[[], LocalFeatures | None]


class LocalFeatureSignalIndex:
    """Entries' local features by list tag, searched with geometric verification."""

    def __init__(self) -> None:
        self._index = LocalFeatureIndex(auto_rebuild=False)
        self._tables = LocalFeatureTables(self._index)
        self._tags: dict[int, int] = {}
        self._rows: dict[int, int] = {}  # entry id -> descriptors indexed
        self._row_count = 0

    def __len__(self) -> int:
        return len(self._tags)

    def rows(self) -> int:
        """Indexed descriptors of the live entries."""
        return self._row_count

    def parts(self) -> Sequence[Rebuildable]:
        return (self._tables,)

    def add(self, rows: IndexRows) -> None:
        readable = []
        for row in rows:
            try:
                features = decode(from_text(row.value))
            except InvalidHash as exc:
                log.warning("orb entry %s not indexed: %s", row.entry_id, exc)
                continue
            readable.append((row.entry_id, features))
            self._tags[row.entry_id] = row.tag
            self._rows[row.entry_id] = min(len(features), self._index.rows_per_entry)
            self._row_count += self._rows[row.entry_id]
        self._index.add_many(readable)

    def remove(self, entry_ids: Iterable[int]) -> None:
        for entry_id in entry_ids:
            if self._tags.pop(entry_id, None) is not None:
                self._row_count -= self._rows.pop(entry_id)
                self._index.remove(entry_id)

    def search(
        self, queries: Sequence[QueryHash], limits: Mapping[int, int]
    ) -> list[dict[int, Hit]]:
        if not limits or not self._tags:
            return [{} for _ in queries]

        def searched(entry_id: int) -> bool:
            return self._tags.get(entry_id) in limits

        out = []
        for query in queries:
            found: dict[int, Hit] = {}
            for picture, mirrored in _pictures(query):
                features = picture()
                if features is None:
                    continue
                for match in self._index.verified(features, mirrored=mirrored, accept=searched):
                    tag = self._tags[match.entry_id]
                    inliers = match.transform.inliers
                    best = found.get(match.entry_id)
                    if inliers >= limits[tag] and (best is None or inliers > best.distance):
                        found[match.entry_id] = Hit(
                            match.entry_id, tag, inliers, detail=match.transform.to_dict()
                        )
                if found:
                    break  # the picture matched as it is: its mirror image need not be searched
            out.append(found)
        return out


class LocalFeatureTables:
    """The LSH tables of a ``LocalFeatureIndex`` as a ``Rebuildable`` part: its size is counted
    in descriptor rows, as ``unbuilt_rows`` is."""

    def __init__(self, index: LocalFeatureIndex) -> None:
        self._index = index

    def __len__(self) -> int:
        return self._index.indexed_rows

    @property
    def unbuilt_rows(self) -> int:
        return self._index.unbuilt_rows

    def needs_rebuild(self) -> bool:
        return self._index.needs_rebuild()

    def rebuild(self) -> None:
        self._index.rebuild()

    def build_tables(self) -> Any:
        return self._index.build_tables()

    def install(self, tables: Any) -> bool:
        return self._index.install(tables)


def _pictures(query: QueryHash) -> Iterator[tuple[_Picture, bool]]:
    """(features, mirrored) to search for ``query``, in order: from pixels, its features and its
    mirror image's; from text, each search value's blob."""
    detail = query.detail or {}
    features = detail.get(FEATURES)
    if isinstance(features, LocalFeatures):
        yield (lambda: features), False
        mirror = detail.get(MIRROR)
        if callable(mirror):
            yield mirror, True
        return
    for value in query.search_values:
        yield partial(decode, from_text(value)), False  # parsed by the signal type: well formed
