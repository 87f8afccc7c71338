"""The error tree of the protocols package; every refusal the engine makes is one of these.

Why one root: adapters (CLI, Discord bot) catch ``ProtocolError`` and show its message to the
user as it is, so every message here is written for a responder, not for a developer.

::

    ProtocolError
    ├── ProtocolLoadError        a protocol file is invalid (message "file:line:col: ...")
    ├── UnknownProtocol          no protocol with that id in the library
    ├── UnknownIncident          no incident with that id in the store
    ├── UnknownStep              the protocol has no step with that id
    ├── UnknownRole              the protocol has no role with that id
    ├── DependencyNotMet         a step's dependencies are not done or skipped yet
    ├── IncidentClosed           the incident is closed; nothing more can happen to it
    ├── NotAllowed               the actor lacks the permission for this action
    ├── InvalidTransition        the action makes no sense in the current state
    ├── ConcurrencyConflict      someone else appended to the incident first
    ├── TimelineTampered         the stored log does not verify (edited or deleted events)
    └── StoreUnavailable         the incident database cannot be opened (path, server, schema)

This module imports nothing from the rest of the package.
"""

from __future__ import annotations

__all__ = [
    "ConcurrencyConflict",
    "DependencyNotMet",
    "IncidentClosed",
    "InvalidTransition",
    "NotAllowed",
    "ProtocolError",
    "ProtocolLoadError",
    "StoreUnavailable",
    "TimelineTampered",
    "UnknownIncident",
    "UnknownProtocol",
    "UnknownRole",
    "UnknownStep",
]


class ProtocolError(Exception):
    """Root of every error raised by ``protocols``; the message is meant for end users."""


class ProtocolLoadError(ProtocolError):
    """A protocol file is invalid. ``str()`` is ``file:line:column: message`` (1-based)."""

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        #: every problem found in the file (the loader collects them all); this one is first
        self.errors: list[ProtocolLoadError] = [self]
        super().__init__(f"{path}:{line}:{column}: {message}")


class UnknownProtocol(ProtocolError):
    """No protocol with the requested id is loaded."""


class UnknownIncident(ProtocolError):
    """No incident with the requested id exists."""


class UnknownStep(ProtocolError):
    """The incident's protocol has no step with the requested id."""


class UnknownRole(ProtocolError):
    """The incident's protocol has no role with the requested id."""


class DependencyNotMet(ProtocolError):
    """A step cannot be completed before the steps it depends on."""


class IncidentClosed(ProtocolError):
    """The incident is closed: its timeline is final."""


class NotAllowed(ProtocolError):
    """The actor does not hold a role or permission that allows this action."""


class InvalidTransition(ProtocolError):
    """The action is not possible in the incident's current state."""


class ConcurrencyConflict(ProtocolError):
    """Another writer appended to the incident since it was read; retry on fresh state."""


class TimelineTampered(ProtocolError):
    """The stored event log fails verification (an event was edited, removed or reordered)."""


class StoreUnavailable(ProtocolError):
    """The incident database cannot be opened or migrated (bad path, server down, no schema)."""
