"""Event stores: the only place incident events are persisted, behind one interface.

Why a hash chain: the timeline is evidence. Each stored event carries the SHA-256 of the event
before it in the same incident (``prev_hash``) and its own hash over incident id, version, type,
payload, recorded-at time and ``prev_hash``. Editing or deleting any event breaks the chain; the
stream head (last version and hash, written in the same transaction) catches a removed tail.

Keys: ``(incident_id, version)`` with versions 1, 2, 3... per incident gives optimistic
concurrency (``append`` with a stale ``expected_version`` raises ``ConcurrencyConflict``); the
global ``position`` orders every stream for feeds. Implementations: ``MemoryEventStore``
(tests, drills), ``SQLiteEventStore`` (aiosqlite, default), ``PostgresEventStore`` (asyncpg).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from protocols.errors import ConcurrencyConflict
from protocols.events import Event, event_from_payload, event_to_payload

__all__ = [
    "GENESIS_HASH",
    "STORED_COLUMNS",
    "EventStore",
    "SealedEvent",
    "StoredEvent",
    "StreamHead",
    "VerificationReport",
    "chain_hash",
    "event_tables_ddl",
    "check_expected_version",
    "seal",
    "stored_from_row",
    "verify_records",
]

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class StreamHead:
    version: int
    hash: str


@dataclass(frozen=True)
class SealedEvent:
    """An event ready to insert: everything but the global position."""

    incident_id: str
    version: int
    event_type: str
    payload: str
    recorded_at: datetime
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class StoredEvent(SealedEvent):
    """A persisted event. ``event`` decodes the payload (``ValueError`` if it is corrupt)."""

    position: int = 0

    @cached_property
    def event(self) -> Event:
        return event_from_payload(self.event_type, self.payload)


def chain_hash(
    incident_id: str,
    version: int,
    event_type: str,
    payload: str,
    recorded_at: datetime,
    prev_hash: str,
) -> str:
    body = json.dumps(
        [incident_id, version, event_type, payload, recorded_at.isoformat(), prev_hash],
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def check_expected_version(incident_id: str, head: StreamHead | None, expected: int) -> None:
    """Raise ``ConcurrencyConflict`` unless the stream is at ``expected`` (0: does not exist)."""
    current = head.version if head else 0
    if current != expected:
        raise ConcurrencyConflict(f"incident {incident_id} is at version {current}, not {expected}")


def event_tables_ddl(position_type: str, bigint: str) -> str:
    """The first migration's tables, shared by the SQL stores; the dialect gives the types of
    the global position column and of a big integer."""
    return f"""
    CREATE TABLE incident_events (
        position {position_type},
        incident_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        payload TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (incident_id, version)
    );
    CREATE TABLE incident_streams (
        incident_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        head_hash TEXT NOT NULL,
        created_position {bigint} NOT NULL
    );
    """


#: the column list both SQL stores select, in the order ``stored_from_row`` expects
STORED_COLUMNS = "incident_id, version, event_type, payload, recorded_at, prev_hash, hash, position"


def stored_from_row(row: Any) -> StoredEvent:
    """A ``StoredEvent`` from a database row addressable by column name."""
    return StoredEvent(
        incident_id=row["incident_id"],
        version=row["version"],
        event_type=row["event_type"],
        payload=row["payload"],
        recorded_at=datetime.fromisoformat(row["recorded_at"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
        position=row["position"],
    )


def seal(
    incident_id: str, head: StreamHead | None, events: Sequence[Event], recorded_at: datetime
) -> list[SealedEvent]:
    """Number and chain ``events`` after ``head``."""
    version, prev = (head.version, head.hash) if head else (0, GENESIS_HASH)
    sealed = []
    for event in events:
        version += 1
        event_type, payload = event_to_payload(event)
        digest = chain_hash(incident_id, version, event_type, payload, recorded_at, prev)
        sealed.append(
            SealedEvent(incident_id, version, event_type, payload, recorded_at, prev, digest)
        )
        prev = digest
    return sealed


@dataclass(frozen=True)
class VerificationReport:
    incident_id: str
    events_checked: int
    head_hash: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "incident_id": self.incident_id,
            "ok": self.ok,
            "events_checked": self.events_checked,
            "head_hash": self.head_hash,
            "problems": list(self.problems),
        }


def verify_records(
    incident_id: str, records: Sequence[StoredEvent], head: StreamHead | None
) -> VerificationReport:
    """Check versions, links, hashes, decodability and the stream head of one incident."""
    problems: list[str] = []
    prev = GENESIS_HASH
    for expected, rec in enumerate(records, start=1):
        where = f"event {rec.version}"
        if rec.version != expected:
            problems.append(f"{where}: expected version {expected} (an event is missing)")
        if rec.prev_hash != prev:
            problems.append(f"{where}: previous-hash link is broken")
        digest = chain_hash(
            incident_id, rec.version, rec.event_type, rec.payload, rec.recorded_at, rec.prev_hash
        )
        if digest != rec.hash:
            problems.append(f"{where}: content does not match its hash (edited)")
        try:
            rec.event  # noqa: B018 - decoding is part of verification
        except (ValueError, TypeError) as exc:
            problems.append(f"{where}: payload cannot be decoded ({exc})")
        prev = rec.hash
    if head is None:
        problems.append("the stream head is missing")
    elif head.version != len(records) or head.hash != prev:
        problems.append(
            f"stream head says {head.version} events ending in {head.hash[:12]}, "
            f"log has {len(records)} ending in {prev[:12]} (events removed or added)"
        )
    return VerificationReport(incident_id, len(records), prev, problems)


class EventStore(Protocol):
    """What the incident service needs from persistence. Every method is a single transaction."""

    async def append(
        self,
        incident_id: str,
        expected_version: int,
        events: Sequence[Event],
        recorded_at: datetime,
    ) -> list[StoredEvent]:
        """Append after ``expected_version`` (0 creates the stream) or raise ConcurrencyConflict."""
        ...

    async def load(self, incident_id: str, after_version: int = 0) -> list[StoredEvent]:
        """Events of one incident with ``version > after_version``, in version order."""
        ...

    async def head(self, incident_id: str) -> StreamHead | None: ...

    async def incident_ids(self) -> list[str]:
        """Every incident, in order of creation."""
        ...

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """Events of all incidents with ``position > after_position``, in position order."""
        ...

    async def close(self) -> None: ...
