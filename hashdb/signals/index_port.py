"""The port between the live index and a signal type's own index: rows in, hits out.

Each signal type makes its index (``SignalType.new_index()``); the service keeps one per type in
step with the change log (``hashdb.live_index``) and the matcher (``hashdb.matcher``) searches it.
Neither knows what is inside: a dict of digests, a multi-index Hamming search with stored
variants, an inverted file over local features, every frame of stored videos. So a new signal type
brings its index with it and the service is not edited.

Contract (``tests/hashdb/signal_contract.py`` checks it for every registered type):

- ``add(rows)`` indexes entries (``IndexRows``, in columns; iterating it gives ``IndexRow``s; an
  entry id is added at most once while it is live); ``remove(entry_ids)`` forgets them (unknown
  ids are ignored). Both are called only while no search runs (under the service's ``IndexGuard``).
- ``search(queries, limits)`` returns, per query, ``{entry id: Hit}``: every live entry within
  the threshold of its list, ``limits[tag]``, each once (at its best). Entries whose tag is not in
  ``limits`` (lists not searched) are left out. ``queries`` may be of other signal types than the
  index's own when a type declares it (``SignalType.answers`` / ``searches``): the index decides
  how to read them. Searches may run in a worker thread, several at once: ``search`` must not
  change the index.
- ``parts()`` lists the ``Rebuildable`` tables the service builds in the background after
  refreshes (``HammingIndex``); an index with nothing to build returns ``()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from hashdb.content_hash import HashVariant, QueryHash

__all__ = ["Hit", "IndexRow", "IndexRows", "Rebuildable", "SignalIndex"]


class IndexRow(NamedTuple):
    """One live entry as the index sees it: what the change log's add row holds.

    ``tag`` is a small integer standing for the entry's list (the search's ``limits`` key);
    ``value`` the stored (normalised) value, whatever its form (hex, a base64 blob, a frame
    list); ``variants`` the stored derived values (``HashVariant``) of entries added from pixels.
    """

    entry_id: int
    tag: int
    value: str
    variants: tuple[HashVariant, ...] = ()


@dataclass(frozen=True)
class IndexRows:
    """Entries to add, column by column: ``IndexRow`` ``i`` is the ``i``-th item of each list.

    Why columns: a first load adds millions of entries, and an object per entry would cost about
    as much as the rest of the load; a Hamming index hands the columns on as they are. Iterating
    gives ``IndexRow``s, for an index that works row by row.
    """

    entry_ids: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    variants: list[tuple[HashVariant, ...]] = field(default_factory=list)

    @classmethod
    def of(cls, rows: Iterable[IndexRow]) -> IndexRows:
        out = cls()
        for row in rows:
            out.append(row.entry_id, row.tag, row.value, row.variants)
        return out

    def append(
        self, entry_id: int, tag: int, value: str, variants: tuple[HashVariant, ...] = ()
    ) -> None:
        self.entry_ids.append(entry_id)
        self.tags.append(tag)
        self.values.append(value)
        self.variants.append(variants)

    def __len__(self) -> int:
        return len(self.entry_ids)

    def __iter__(self) -> Iterator[IndexRow]:
        return map(IndexRow, self.entry_ids, self.tags, self.values, self.variants)


class Hit(NamedTuple):
    """One entry found for one query.

    ``distance``: how near, in the signal type's own measure compared with the list threshold.
    For most types smaller is nearer (0 identical); a type with ``higher_is_better`` reports a
    score there (an inlier count) and matches at or above the threshold. ``variant`` names the
    stored variant that gave it (None: the entry's own value). ``detail`` is signal-specific
    (frame coverage of a video, the transform of a local-feature match); it reaches
    ``Match.detail`` as given, so keep it JSON-ready.
    """

    entry_id: int
    tag: int
    distance: int
    variant: str | None = None
    detail: Mapping[str, Any] | None = None


class Rebuildable(Protocol):
    """A table that is built aside (in a worker thread) and swapped in: ``HammingIndex``."""

    def __len__(self) -> int: ...

    @property
    def unbuilt_rows(self) -> int: ...

    def needs_rebuild(self) -> bool: ...

    def rebuild(self) -> None: ...

    def build_tables(self) -> Any: ...

    def install(self, tables: Any) -> bool: ...


class SignalIndex(Protocol):
    """A signal type's in-memory index of live entries (see the module docstring)."""

    def __len__(self) -> int:
        """Live entries."""

    def rows(self) -> int:
        """Indexed values: live entries plus what they bring (variants, frames)."""

    def add(self, rows: IndexRows) -> None: ...

    def remove(self, entry_ids: Iterable[int]) -> None: ...

    def search(
        self, queries: Sequence[QueryHash], limits: Mapping[int, int]
    ) -> list[dict[int, Hit]]: ...

    def parts(self) -> Sequence[Rebuildable]: ...
