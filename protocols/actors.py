"""Who acts: an ``Actor`` is a person or a service account, with platform-level permissions.

Incident roles (lead, scribe, ...) are *not* here: they come from the incident's role
assignments. ``Actor.roles`` holds platform permissions granted by the deployment:

- ``incident_admin``: may do anything, including declaring and closing incidents;
- ``timeline_recorder``: may record chat messages, edits, deletions and escalations (the bot's
  service account and the timer);
- ``hash_coordinator``: may link hash entries and record matches on any incident.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HASH_COORDINATOR", "INCIDENT_ADMIN", "TIMELINE_RECORDER", "Actor"]

INCIDENT_ADMIN = "incident_admin"
TIMELINE_RECORDER = "timeline_recorder"
HASH_COORDINATOR = "hash_coordinator"


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    roles: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return INCIDENT_ADMIN in self.roles
