"""The hash store interface: everything the service needs from a database, nothing more.

Implementations: ``SQLiteHashStore`` (default, aiosqlite, WAL) in ``hashdb.store.sqlite`` and
``PostgresHashStore`` (asyncpg) in ``hashdb.store.postgres``; both pass the contract tests in
``tests/hashdb/test_store_contract.py``. Stores validate nothing about hashes (the service does) but
own consistency: a list name is unique, every add and removal appends exactly one change-log row in
the same transaction, and change ``seq`` values become visible in increasing order (writers are
serialised), so a reader that has seen ``seq = n`` never later finds a new row below ``n``.

Stores also own the audit trail of hash-list writes: a list creation, and every entry an add
inserts or a removal removes, appends its audit record (``hashdb.audit_log``) in the transaction
of the write, with the actor the caller names (``created_by``, ``added_by``, ``removed_by``). A
write costs what its rows cost: nothing proportional to a list's size runs on the write path
(``HashList.entry_count`` is kept by the writes), and reads do not queue behind writes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from hashdb.content_hash import HashVariant
from hashdb.records import AddedEntries, Change, Entry, HashList, NewEntry

__all__ = ["HashStore", "IndexChange"]


@dataclass(frozen=True)
class IndexChange:
    """A change-log row reduced to what the in-memory index needs (an add carries the variants)."""

    seq: int
    kind: Literal["add", "remove"]
    entry_id: int
    list_name: str
    signal: str
    value: str
    variants: tuple[HashVariant, ...] = ()


class HashStore(Protocol):
    async def open(self) -> None:
        """Connect and apply pending migrations."""

    async def close(self) -> None: ...

    async def schema_version(self) -> int: ...

    async def create_list(self, hash_list: HashList) -> HashList:
        """Insert a list and its ``list.create`` audit record; ListExists if the name is taken."""

    async def get_list(self, name: str) -> HashList | None: ...

    async def lists(self) -> list[HashList]: ...

    async def add_entries(
        self, list_name: str, items: Sequence[NewEntry], *, added_by: str, at: datetime
    ) -> AddedEntries:
        """Insert all items in one transaction (ListNotFound if the list is missing).

        An item equal (signal, value) to an active entry of the same list is not inserted again:
        the existing entry is returned in its place and no change or audit record is written.
        Each new entry gets one ``entry.add`` audit record; ``AddedEntries.created`` holds their
        ids. A new entry's ``variants`` are stored with it (and come back on ``Entry``,
        ``Change`` and ``IndexChange``).
        """

    async def remove_entry(
        self, entry_id: int, *, reason: str, removed_by: str, at: datetime
    ) -> Entry:
        """Soft-delete with an ``entry.remove`` audit record; EntryNotFound if missing or
        already removed."""

    async def get_entries(self, entry_ids: Collection[int]) -> dict[int, Entry]: ...

    async def entries(self, list_name: str, *, include_removed: bool) -> list[Entry]: ...

    async def changes(
        self, since: int, limit: int, lists: Collection[str] | None
    ) -> list[Change]: ...

    async def index_changes(self, since: int, limit: int) -> list[IndexChange]: ...

    def change_marker(self) -> object | None:
        """A cheap value (no I/O round trip) that differs after any connection, in any process,
        commits; ``None`` when the store cannot tell, and the service then reads the change log.
        """

    async def record_feedback(
        self, entry_id: int, *, verdict: str, note: str, by: str, at: datetime
    ) -> None:
        """EntryNotFound if the entry does not exist."""

    async def verdicts(self, entry_ids: Collection[int]) -> dict[int, list[tuple[str, str]]]:
        """Per entry with feedback, its verdicts as ``(by, verdict)``, oldest first."""
