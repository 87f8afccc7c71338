"""Recently matched entries, kept in memory between two commits to the store.

Why: in a crisis the same few hashes match upload after upload, and reading their entries back
from the store was the slowest step of a lookup (a round trip per batch, queued behind other
requests). An entry changes only when something is committed (a removal, a feedback verdict),
and the hash service clears this cache whenever the store's change marker moves, in this process
or any other. Where the store cannot tell (``change_marker() is None``), the service clears it
on every refresh, so nothing stale is ever served.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection

from hashdb.records import Entry

__all__ = ["EntryCache"]


class EntryCache:
    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[int, Entry] = OrderedDict()
        self._epoch = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def epoch(self) -> int:
        """A number that changes whenever the cache is cleared (something was committed):
        whatever was derived from entries before it moved may be stale."""
        return self._epoch

    def clear(self) -> None:
        """Forget everything; a read already in flight will not put its rows back."""
        self._entries.clear()
        self._epoch += 1

    async def get_many(
        self,
        entry_ids: Collection[int],
        fetch: Callable[[Collection[int]], Awaitable[dict[int, Entry]]],
    ) -> dict[int, Entry]:
        """The entries with these ids: cached ones at once, the rest through ``fetch``."""
        out: dict[int, Entry] = {}
        missing = []
        for entry_id in entry_ids:
            entry = self._entries.get(entry_id)
            if entry is None:
                missing.append(entry_id)
            else:
                self._entries.move_to_end(entry_id)
                out[entry_id] = entry
        if not missing:
            return out
        epoch = self._epoch
        fetched = await fetch(missing)
        out.update(fetched)
        if epoch == self._epoch and self.capacity > 0:  # nothing committed meanwhile
            self._entries.update(fetched)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return out
