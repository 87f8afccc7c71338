"""The environment a ``crisisbot`` subprocess runs in during tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["isolated_env", "run_crisisbot"]


def isolated_env(home: Path) -> dict[str, str]:
    """A minimal environment: none of the caller's ``CRISISBOT_*`` settings or ``$HOME``, but its
    ``PYTHONPATH``, so the process imports the code under test (a checkout's own, not whichever
    copy is installed)."""
    env = {"PATH": "/usr/bin:/bin", "USER": "tester", "HOME": str(home)}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def run_crisisbot(
    cwd: Path,
    *args: str,
    db: str = "cli.db",
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m crisisbot --db sqlite:///CWD/DB ARGS`` in ``cwd`` and capture its output.

    Why one runner: every CLI test needs the same interpreter, database URL and text capture; a
    copy per test module drifts (one forgot the time limit, one the environment)."""
    return subprocess.run(
        [sys.executable, "-m", "crisisbot", "--db", f"sqlite:///{cwd / db}", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        env=env,
        timeout=timeout,
    )
