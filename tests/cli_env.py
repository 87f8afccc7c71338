"""The environment a ``crisisbot`` subprocess runs in during tests."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["isolated_env"]


def isolated_env(home: Path) -> dict[str, str]:
    """A minimal environment: none of the caller's ``CRISISBOT_*`` settings or ``$HOME``, but its
    ``PYTHONPATH``, so the process imports the code under test (a checkout's own, not whichever
    copy is installed)."""
    env = {"PATH": "/usr/bin:/bin", "USER": "tester", "HOME": str(home)}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env
