"""The incident service: load state from the store, ``decide``, append, return what was stored.

This is the one entry point adapters use. It owns no rules (those are in ``decide``) and no SQL
(that is in ``protocols.store``). Writes use optimistic concurrency: on a conflict the command is
decided again against fresh state, so concurrent responders never overwrite each other.

Why a state cache: a busy incident records thousands of chat messages, and replaying the whole
log for each one made every write O(log length). The service keeps each incident's folded state
and only reads and applies the events after its version (other processes' writes included).
A state handed to a caller is never mutated afterwards (copy-on-write). ``verify`` and the exports
always read the full log.

Why the cache applies events by version: readers do not take the writers' lock, so while one task
waits for the store another may move the same cached state on (a writer applying the events it
just appended, a reader applying what its load returned). A load or an append can therefore come
back with events the cache already holds; ``_advance`` applies only those after the cached version
and refuses a gap, so every task may bring the cache up to date and none applies an event twice
(which used to push the cached version past the store's, and every later write of the incident
into conflicts until it failed).

Protocol pinning: an incident runs under the protocol snapshot stored in its ``IncidentDeclared``
(``protocol_for``), not under the library's current file, so editing a protocol file never changes
a running incident's rules, deadlines or reports. ``protocol_drift`` says when the library's
current version differs (the CLI and the bot show it as a warning). Incidents declared before
snapshots existed fall back to the library.

``open_incident_service(db, library=..., clock=...)`` picks the store from ``db``: a
``postgresql://`` DSN, ``":memory:"`` for the in-memory store, anything else is a SQLite path.
"""

from __future__ import annotations

import asyncio
import builtins
import copy
import re
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from protocols.commands import Command, DeclareIncident
from protocols.decide import decide
from protocols.definition import Protocol
from protocols.errors import (
    ConcurrencyConflict,
    ProtocolError,
    StoreUnavailable,
    TimelineTampered,
    UnknownIncident,
)
from protocols.events import IncidentDeclared
from protocols.exports import (
    IncidentReport,
    TransparencySummary,
    build_report,
    export_incident,
    transparency_summary,
)
from protocols.protocol_library import ProtocolLibrary
from protocols.protocol_snapshot import protocol_fingerprint, protocol_from_snapshot
from protocols.state import IncidentState, apply_in_place, replay
from protocols.store import EventStore, StoredEvent, VerificationReport, verify_records
from protocols.store.memory import MemoryEventStore
from protocols.timers import DueStep, due_steps, next_deadline

__all__ = ["IncidentService", "open_event_store", "open_incident_service"]

_RETRIES = 20


@dataclass
class _Cached:
    state: IncidentState
    shared: bool = False  # handed to a caller: copy before applying more events


class IncidentService:
    def __init__(
        self,
        store: EventStore,
        *,
        library: ProtocolLibrary,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.library = library
        self.clock = clock
        # Serialise writers inside this process; other processes are handled by retrying.
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._cache: dict[str, _Cached] = {}
        self._pinned: dict[str, Protocol] = {}  # protocol snapshot hash -> protocol

    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return now

    def protocol_for(self, state: IncidentState) -> Protocol:
        """The protocol ``state`` runs under: its declared snapshot (or, for incidents declared
        before snapshots existed, the library's current version)."""
        if not state.protocol_snapshot:
            return self.library.get(state.protocol_id)
        pinned = self._pinned.get(state.protocol_hash)
        if pinned is None:
            source = f"incident {state.id}: {state.protocol_id} v{state.protocol_version}"
            pinned = protocol_from_snapshot(state.protocol_snapshot, state.protocol_hash, source)
            self._pinned[state.protocol_hash] = pinned
        return pinned

    def protocol_drift(self, state: IncidentState) -> str | None:
        """A warning when the library's current protocol differs from the incident's, else None."""
        declared = f"{state.protocol_id} v{state.protocol_version}"
        if state.protocol_id not in self.library:
            return (
                f"incident {state.id} runs under {declared} as declared; that protocol is no "
                "longer in the library"
            )
        current = self.library.get(state.protocol_id)
        if not state.protocol_hash:
            if current.version == state.protocol_version:
                return None
            return (
                f"incident {state.id} was declared under {declared} and has no protocol "
                f"snapshot; it now uses the library's v{current.version}"
            )
        if protocol_fingerprint(current) == state.protocol_hash:
            return None
        changed = (
            f"v{current.version}"
            if current.version != state.protocol_version
            else f"a changed v{current.version}"
        )
        return (
            f"incident {state.id} keeps running under {declared} as declared "
            f"(protocol {state.protocol_hash[:12]}); the library now has {changed} "
            f"({current.source})"
        )

    def _new_id(self, drill: bool, now: datetime) -> str:
        prefix = "drill" if drill else "inc"
        return f"{prefix}-{now:%Y%m%d}-{secrets.token_hex(3)}"

    async def declare(self, cmd: DeclareIncident) -> IncidentState:
        """Declare a new incident (an id is generated when ``cmd.incident_id`` is None)."""
        protocol = self.library.get(cmd.protocol_id)
        now = self._now()
        if cmd.incident_id is None:
            cmd = replace(cmd, incident_id=self._new_id(cmd.drill, now))
        assert cmd.incident_id is not None
        existing = await self.store.head(cmd.incident_id)
        events = decide(
            None if existing is None else await self.get(cmd.incident_id), cmd, protocol, now
        )
        stored = await self.store.append(cmd.incident_id, 0, events, now)
        return _fold(stored)

    async def execute(self, incident_id: str, command: Command) -> list[StoredEvent]:
        """Decide and durably store ``command``; return the stored events (refusals raise)."""
        async with self._locks[incident_id]:
            return await self._execute(incident_id, command)

    async def _execute(self, incident_id: str, command: Command) -> list[StoredEvent]:
        for attempt in range(_RETRIES):
            cached = await self._current(incident_id)
            state = cached.state
            now = self._now()
            events = decide(state, command, self.protocol_for(state), now)
            try:
                stored = await self.store.append(incident_id, state.version, events, now)
            except ConcurrencyConflict:
                if attempt == _RETRIES - 1:
                    self._cache.pop(incident_id, None)
                    raise
                continue
            if not self._advance(cached, stored):
                self._cache.pop(incident_id, None)  # read afresh by the next caller
            return stored
        raise AssertionError("unreachable")  # pragma: no cover

    async def _current(self, incident_id: str) -> _Cached:
        """The cached state brought up to date with the store (private: may be mutated)."""
        cached = self._cache.get(incident_id)
        new = await self.store.load(incident_id, cached.state.version if cached else 0)
        if cached is None:
            if not new:
                raise UnknownIncident(f"no incident {incident_id!r}")
            # another task may have cached the incident while this one loaded it
            cached = self._cache.setdefault(incident_id, _Cached(_fold(new)))
        if not self._advance(cached, new):  # the log changed under us
            if self._cache.get(incident_id) is cached:
                del self._cache[incident_id]
            return await self._current(incident_id)
        return cached

    @staticmethod
    def _advance(cached: _Cached, records: list[StoredEvent]) -> bool:
        """Apply the ``records`` after the cached version (any before it are already applied).

        False, and nothing applied, when they do not continue the cached version one by one.
        """
        version = cached.state.version
        fresh = [r for r in records if r.version > version]
        if not fresh:
            return True
        if [r.version for r in fresh] != list(range(version + 1, version + 1 + len(fresh))):
            return False
        if cached.shared:
            cached.state = copy.deepcopy(cached.state)
            cached.shared = False
        try:
            apply_in_place(cached.state, (r.event for r in fresh))
        except (ValueError, TypeError, KeyError) as exc:
            raise _tampered(cached.state.id, exc) from None
        return True

    async def _records(self, incident_id: str) -> list[StoredEvent]:
        records = await self.store.load(incident_id)
        if not records:
            raise UnknownIncident(f"no incident {incident_id!r}")
        return records

    async def get(self, incident_id: str) -> IncidentState:
        """The incident's current state. Treat it as read-only; it never changes afterwards."""
        cached = await self._current(incident_id)
        cached.shared = True
        return cached.state

    async def events(self, incident_id: str) -> list[StoredEvent]:
        return await self._records(incident_id)

    async def list(
        self, *, open_only: bool = False, include_drills: bool = True
    ) -> list[IncidentState]:
        states = [await self.get(i) for i in await self.store.incident_ids()]
        return [
            s for s in states if (s.is_open or not open_only) and (include_drills or not s.drill)
        ]

    async def verify(self, incident_id: str) -> VerificationReport:
        records = await self.store.load(incident_id)
        head = await self.store.head(incident_id)
        if not records and head is None:
            raise UnknownIncident(f"no incident {incident_id!r}")
        report = verify_records(incident_id, records, head)
        first = records[0].event if records and report.ok else None
        if isinstance(first, IncidentDeclared) and first.protocol_snapshot:
            try:
                protocol_from_snapshot(first.protocol_snapshot, first.protocol_hash, "event 1")
            except ProtocolError as exc:
                report.problems.append(str(exc))
        return report

    async def report(self, incident_id: str) -> IncidentReport:
        """The projection every export renders (timeline with corrections, steps, figures)."""
        records = await self._records(incident_id)
        state = _fold(records)
        return build_report(state, records, self.protocol_for(state))

    async def export(self, incident_id: str, fmt: str = "md", tz: str = "UTC") -> str:
        """``export_incident`` for a stored incident (md, json, csv or html)."""
        records = await self._records(incident_id)
        state = _fold(records)
        return export_incident(state, records, self.protocol_for(state), fmt, tz)

    async def transparency(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> TransparencySummary:
        """Figures for every real incident opened in ``[since, until)``; drills never count."""
        pairs = []
        for incident_id in await self.store.incident_ids():
            records = await self._records(incident_id)
            pairs.append((_fold(records), records))
        return transparency_summary(pairs, self.protocol_for, since=since, until=until)

    async def feed(self, after_position: int = 0, limit: int = 1000) -> builtins.list[StoredEvent]:
        """Events of every incident after a global position (for projections and the bot)."""
        return await self.store.read_all(after_position, limit)

    def due(self, state: IncidentState, now: datetime | None = None) -> builtins.list[DueStep]:
        """Due and overdue steps and escalations of one incident (``now`` defaults to the clock)."""
        return due_steps(state, self.protocol_for(state), now or self._now())

    def next_deadline(self, state: IncidentState, now: datetime | None = None) -> datetime | None:
        return next_deadline(state, self.protocol_for(state), now or self._now())

    async def close(self) -> None:
        await self.store.close()


def _fold(records: list[StoredEvent]) -> IncidentState:
    try:
        return replay(r.event for r in records)
    except (ValueError, TypeError, KeyError) as exc:
        raise _tampered(records[0].incident_id if records else "?", exc) from None


def _tampered(incident_id: str, exc: Exception) -> TimelineTampered:
    return TimelineTampered(
        f"incident {incident_id}: the stored timeline cannot be replayed ({exc}); "
        f"run `crisisbot incident verify {incident_id}`"
    )


async def open_event_store(db: str, *, schema: str | None = None) -> EventStore:
    """A store for ``db``: ``postgresql://`` DSN (optionally in ``schema``), ``":memory:"``,
    or a SQLite file path. ``StoreUnavailable`` when it cannot be opened."""
    if db == ":memory:":
        return MemoryEventStore()
    try:
        if db.startswith(("postgresql://", "postgres://")):
            from protocols.store.postgres import PostgresEventStore

            return await PostgresEventStore.open(db, schema=schema)
        from protocols.store.sqlite import SQLiteEventStore

        folder = _missing_folder(db)
        if folder is not None:
            raise StoreUnavailable(f"cannot open the incident database {db}: no folder {folder}")
        return await SQLiteEventStore.open(db)
    except ProtocolError:
        raise
    except Exception as exc:  # driver errors differ per backend; all mean "cannot open"
        where = _without_password(db)
        raise StoreUnavailable(
            f"cannot open the incident database {where}: {exc or type(exc).__name__}"
        ) from exc


def _missing_folder(path: str) -> Path | None:
    """The folder that should hold a SQLite file, when it does not exist (checked up front:
    aiosqlite leaves a worker thread behind when the connection fails)."""
    folder = Path(path).expanduser().absolute().parent
    return None if folder.is_dir() else folder


def _without_password(db: str) -> str:
    """``db`` with any password in a DSN replaced by ``***`` (for error messages)."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", db)


@asynccontextmanager
async def open_incident_service(
    db: str,
    *,
    library: ProtocolLibrary,
    clock: Callable[[], datetime],
    store: EventStore | None = None,
    schema: str | None = None,
) -> AsyncIterator[IncidentService]:
    """Open the store for ``db`` (or use ``store``) and close it on exit."""
    store = store or await open_event_store(db, schema=schema)
    service = IncidentService(store, library=library, clock=clock)
    try:
        yield service
    finally:
        await service.close()
