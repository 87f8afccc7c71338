"""The in-memory index of every live entry, kept in step with the store's change log.

Why the index follows the change log: several processes (API workers, the bot, a CLI import) write
to the same database. Before every lookup the service reads change-log rows newer than the last one
it applied (one indexed query, usually empty) and applies them, so rows written by any process are
visible to the next match, and a restart rebuilds the index from the log in one pass.

One index per registered signal type, made by the type (``SignalType.new_index``) and driven
through ``hashdb.signals.index_port``: this module never looks inside one. Changes are applied
under the ``IndexGuard`` (no search reads an index meanwhile); tables that take long to build
(``SignalIndex.parts``) are built in a worker thread and swapped in.

Also kept here, because the change log tells when they go stale: the lists by name, and the small
integer tag standing for each list in the indexes.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence

from hashdb.entry_cache import EntryCache
from hashdb.index_guard import IndexGuard
from hashdb.records import HashList
from hashdb.signals import SIGNALS, IndexRows, Rebuildable, SignalIndex, SignalType
from hashdb.store import HashStore, IndexChange

__all__ = ["LiveIndex"]

_REFRESH_PAGE = 50_000


class LiveIndex:
    """Every signal type's index, the list cache and the list tags of one service."""

    def __init__(self, store: HashStore, entry_cache: EntryCache) -> None:
        """``entry_cache`` is cleared whenever something was committed since the last refresh."""
        self.store = store
        self.guard = IndexGuard()
        self.indexes: dict[str, SignalIndex] = {s.name: s.new_index() for s in SIGNALS}
        self._answering = {
            s.name: tuple((t, self.indexes[t.name]) for t in _answering(s)) for s in SIGNALS
        }
        self.lists: dict[str, HashList] = {}
        self.lists_stale = True
        self._entry_cache = entry_cache
        self._seq = 0
        self._marker: object | None = None
        self._tags: dict[str, int] = {}
        self._tag_names: list[str] = []
        self._refresh_lock = asyncio.Lock()
        self.rebuilds: dict[Rebuildable, asyncio.Task[None]] = {}

    def tag(self, list_name: str) -> int:
        """The small integer standing for ``list_name`` in the indexes (``IndexRow.tag``)."""
        tag = self._tags.get(list_name)
        if tag is None:
            tag = self._tags[list_name] = len(self._tag_names)
            self._tag_names.append(list_name)
        return tag

    def answering(self, query_signal: str) -> tuple[tuple[SignalType, SignalIndex], ...]:
        """The signal types and indexes that answer a query of ``query_signal``: its own, those
        that declare they answer it (``SignalType.answers``) and those it declares it searches
        (``SignalType.searches``)."""
        return self._answering.get(query_signal, ())

    async def reload_lists(self) -> None:
        self.lists = {hl.name: hl for hl in await self.store.lists()}
        self.lists_stale = False

    # -- following the change log -----------------------------------------------------------
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
                async with self.guard.changing():
                    self._apply(rows)
                self._seq = rows[-1].seq
                if len(rows) < _REFRESH_PAGE:
                    break
            await self._rebuild_tables()
            # read before the log: a commit after it changes the marker and the next refresh reads
            self._marker = marker
            return self._seq

    def _apply(self, rows: Sequence[IndexChange]) -> None:
        """Adds are gathered per signal type and added together; a removal first adds what is
        gathered (the entry it removes may be among them)."""
        pending: dict[str, IndexRows] = defaultdict(IndexRows)

        def flush() -> None:
            for signal_name, added in pending.items():
                self.indexes[signal_name].add(added)
            pending.clear()

        for row in rows:
            if row.list_name not in self.lists:
                self.lists_stale = True  # created by another process since we last looked
            if row.signal not in self.indexes:
                continue  # a signal type this build does not know
            if row.kind == "add":
                added = pending[row.signal]
                added.append(row.entry_id, self.tag(row.list_name), row.value, row.variants)
            else:
                flush()
                self.indexes[row.signal].remove([row.entry_id])
        flush()

    async def _rebuild_tables(self) -> None:
        """After a refresh has applied every page: tables of indexes whose unbuilt tail is now
        too long to scan. Decided once for the whole refresh, so a first load read in pages
        is built once, in line, not page by page in the background."""
        for index in self.indexes.values():
            for table in index.parts():
                if not table.needs_rebuild():
                    continue
                if table.unbuilt_rows > len(table) // 2:
                    async with self.guard.changing():  # mostly new (a first load, a bulk import)
                        table.rebuild()
                else:
                    self._rebuild_in_background(table)

    def _rebuild_in_background(self, table: Rebuildable) -> None:
        """Build ``table`` in a worker thread while searches go on, then swap it in under the
        guard. Why: at a million PDQ hashes a build takes over a second, and a steady trickle of
        adds would otherwise stop every lookup for that long every few thousand adds.
        """
        if table in self.rebuilds:
            return  # one at a time; the next refresh starts another if still needed

        async def run() -> None:
            try:
                # again while adds outpace it, or a compaction made a build useless
                while table.needs_rebuild():
                    tables = await asyncio.to_thread(table.build_tables)
                    async with self.guard.changing():
                        table.install(tables)
            finally:
                del self.rebuilds[table]

        self.rebuilds[table] = asyncio.get_running_loop().create_task(
            run(), name="hashdb-index-rebuild"
        )

    async def close(self) -> None:
        """Stop background table builds."""
        pending = list(self.rebuilds.values())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def sizes(self) -> dict[str, int]:
        """Live entries per signal type (after the last refresh)."""
        return {name: len(index) for name, index in self.indexes.items()}

    def rows(self) -> dict[str, int]:
        """Indexed values per signal type: live entries plus their variants (frames...)."""
        return {name: index.rows() for name, index in self.indexes.items()}


def _answering(query: SignalType) -> tuple[SignalType, ...]:
    """The registered types whose index answers a query of ``query``'s type (its own first)."""
    found = [query]
    for other in SIGNALS:
        if other is not query and (query.name in other.answers or other.name in query.searches):
            found.append(other)
    return tuple(found)
