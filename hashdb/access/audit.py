"""Audit records: who added or removed an entry, or created or revoked a key, and when.

The audit log is append-only; records are written by :class:`hashdb.access.AccessService`
in the same call that performs the change, so the API and the CLI leave the same trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hashdb import write_events

__all__ = ["AuditAction", "AuditRecord"]


class AuditAction:
    """The actions that are audited (plain strings so new ones need no migration)."""

    ENTRY_ADD = write_events.ENTRY_ADD  # hash-list writes: recorded from the service's events
    ENTRY_REMOVE = write_events.ENTRY_REMOVE
    KEY_CREATE = "key.create"
    KEY_REVOKE = "key.revoke"
    LIST_CREATE = write_events.LIST_CREATE


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)
    record_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.record_id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
        }
