"""Writes to the hash lists, announced to whoever wants to hear of them after they commit.

The action names are also those of the audit log, which the hash store writes in the write's own
transaction (``hashdb.audit_log``): an observer is told after the commit, so a crash in between
would lose what it was told, and the audit log must not depend on one. Observers are for what
can be rebuilt or missed (metrics, caches, notifications).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ENTRY_ADD", "ENTRY_REMOVE", "LIST_CREATE", "WriteBus", "WriteEvent", "WriteObserver"]

_log = logging.getLogger("hashdb.service")

ENTRY_ADD = "entry.add"
ENTRY_REMOVE = "entry.remove"
LIST_CREATE = "list.create"


@dataclass(frozen=True)
class WriteEvent:
    """One committed write: ``action`` (``entry.add`` ...), who did it, what it touched
    (``entry:ID`` or ``list:NAME``) and the details worth keeping."""

    action: str
    actor: str
    target: str
    detail: Mapping[str, Any] = field(default_factory=dict)


#: called after the write is committed, with every event of one call
WriteObserver = Callable[[Sequence[WriteEvent]], Awaitable[None]]


class WriteBus:
    """The observers of one hash service, told of every write it commits."""

    def __init__(self) -> None:
        self._observers: list[WriteObserver] = []

    def add(self, observer: WriteObserver) -> None:
        """Register ``observer`` (once, however often it is registered)."""
        if observer not in self._observers:
            self._observers.append(observer)

    def remove(self, observer: WriteObserver) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    async def announce(self, events: Sequence[WriteEvent]) -> None:
        """Tell the observers; the write is committed already, so a failing observer is
        logged, not raised to the caller (the change log still holds the write)."""
        if not events:
            return
        for observer in self._observers:
            try:
                await observer(events)
            except Exception:  # noqa: BLE001 - one broken observer must not undo the others
                _log.exception("a write observer failed on %s", sorted({e.action for e in events}))
