"""Errors of the drills package, under the protocols error root (``ProtocolError``).

::

    ProtocolError
    └── DrillError                 any refusal by the drill machinery
        ├── ScenarioLoadError      a scenario or action script is invalid ("file:line:col: ...");
        │                          also a ProtocolLoadError, so adapters treat both alike
        ├── UnknownScenario        no scenario with that id or path
        └── BadAction              a typed or scripted participant action cannot be understood

Imports only :mod:`protocols.drills.located_yaml` (the Issue type) from the drills package.
"""

from __future__ import annotations

from collections.abc import Iterable

from protocols.drills.located_yaml import Issue
from protocols.errors import ProtocolError, ProtocolLoadError

__all__ = ["BadAction", "DrillError", "DrillHalted", "ScenarioLoadError", "UnknownScenario"]


class DrillError(ProtocolError):
    """Root of the drill errors; the message is meant for the drill planner or player."""


class ScenarioLoadError(DrillError, ProtocolLoadError):
    """A scenario (or action script) file is invalid; ``errors`` holds every problem found."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        found = sorted(issues)
        first = found[0]
        ProtocolLoadError.__init__(self, first.path, first.line, first.column, first.message)
        self.issues = found
        self.errors = [self]
        if len(found) > 1:
            self.args = ("\n".join(str(issue) for issue in found),)


class UnknownScenario(DrillError):
    """No shipped or configured scenario has that id, and no such file exists."""


class BadAction(DrillError):
    """A participant's action is malformed or names an unknown step, role, upload or player."""


class DrillHalted(DrillError):
    """The run was halted to go on later (its process stops), so it has no report (yet)."""
