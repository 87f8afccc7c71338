"""Every log line, ours and the libraries', comes out in the chosen format on stderr."""

from __future__ import annotations

import json
import subprocess
import sys

PROGRAM = """
import logging, structlog
from crisisbot.logging_setup import configure_logging
configure_logging("INFO", json={json})
logging.getLogger("discord.client").info("logging in %s", "now")
structlog.get_logger("crisisbot").info("started", port=8080)
logging.getLogger("aiohttp").debug("hidden at INFO")
"""


def _run(as_json: bool) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM.format(json=as_json)], capture_output=True, text=True
    )


def test_json_logs_are_one_object_per_line_for_stdlib_and_structlog() -> None:
    result = _run(True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(r["logger"], r["event"], r["level"]) for r in lines] == [
        ("discord.client", "logging in now", "info"),
        ("crisisbot", "started", "info"),
    ]
    assert lines[1]["port"] == 8080
    assert all(r["timestamp"].endswith("Z") for r in lines)


def test_console_logs_are_readable_lines() -> None:
    result = _run(False)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert "logging in now" in lines[0] and "discord.client" in lines[0]
    assert "started" in lines[1] and "port=8080" in lines[1]
