"""Writes to the hash lists, announced to whoever must keep a record of them.

Why: an audit record of every add and removal (who, when, what) is owed whichever way the write
came in (the HTTP API, the CLI, the Discord bot). The core knows nothing of the audit log; it
tells its observers what it committed, and the adapters register one that writes the log
(``hashdb.access.AccessService.record_writes``), so no entry point can forget it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ENTRY_ADD", "ENTRY_REMOVE", "LIST_CREATE", "WriteEvent", "WriteObserver"]

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
