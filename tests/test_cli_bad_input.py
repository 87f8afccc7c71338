"""Bad input to the ``crisisbot`` command: one ``Error:`` line, a non-zero exit, nothing written.

Found by following the docs as a new user: a mistyped database URL created a fresh empty
database named after the typo, a missing folder gave a traceback, file and port errors were
reported as internal errors, and a few options were checked only after the work was done.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crisisbot.config import ConfigError, check_database_url
from tests.cli_env import isolated_env


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crisisbot", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=isolated_env(tmp_path),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def refused(result: subprocess.CompletedProcess[str], *words: str, status: int = 1) -> None:
    assert result.returncode == status, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize(
    "url", ["bogus://x", "postgresq://host/db", "sqlite:x.db", "sqlite://relative.db"]
)
def test_database_urls_no_store_understands_are_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="database.url"):
        check_database_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///crisisbot.db",
        "sqlite:////var/lib/x.db",
        "sqlite://:memory:",
        "x.db",
        "postgresql://u@h/db",
        "postgres://h/db",
    ],
)
def test_database_urls_the_stores_open_are_accepted(url: str) -> None:
    check_database_url(url)


def test_a_mistyped_database_creates_nothing(tmp_path: Path) -> None:
    before = files_in(tmp_path)
    refused(run(tmp_path, "--db", "bogus://x", "hashdb", "lists"), "unknown scheme 'bogus'")
    for command in (("hashdb", "lists"), ("keys", "list"), ("incident", "list")):
        result = run(tmp_path, "--db", "sqlite:///missing/x.db", *command)
        refused(result, f"no folder {tmp_path / 'missing'}")
    assert files_in(tmp_path) == before


def test_file_and_port_errors_name_the_file_or_the_range(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/cli.db"
    assert run(tmp_path, "--db", db, "hashdb", "create", "l1").returncode == 0
    missing = tmp_path / "missing" / "out.csv"
    result = run(tmp_path, "--db", db, "hashdb", "export", "l1", "-o", str(missing))
    refused(result, f"Error: {missing}: No such file or directory")
    refused(run(tmp_path, "--db", db, "serve", "--port", "99999"), "0<=x<=65535", status=2)
    refused(run(tmp_path, "--db", db, "keys", "audit", "--limit", "0"), "1<=x<=10000", status=2)
    result = run(tmp_path, "--db", db, "sync", "--from", "hashes.example.org", "--key", "k")
    refused(result, "not an http:// or https:// URL", status=2)


def test_incident_export_json_conflicting_with_format_is_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/cli.db"
    opened = run(
        tmp_path, "--db", db, "incident", "open", "--protocol", "gifct-cip", "--title", "t",
        "--severity", "cip", "--id", "i1",
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    out = tmp_path / "r.html"
    result = run(
        tmp_path, "--db", db, "incident", "export", "i1", "--format", "html", "--json", "-o",
        str(out),
    )  # fmt: skip
    refused(result, "--json asks for the json format", status=2)
    assert not out.exists()
    as_json = run(tmp_path, "--db", db, "incident", "export", "i1", "--json")
    assert json.loads(as_json.stdout)["incident"]["id"] == "i1"


def test_drill_options_used_at_the_end_are_checked_before_it_starts(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/cli.db"
    drill = ("--db", db, "drill", "run", "false-alarm", "--speed", "1000000", "--run-id", "z1")
    refused(run(tmp_path, *drill, "--timezone", "Mars/Base"), "unknown time zone", status=2)
    refused(run(tmp_path, *drill, "--output", "nowhere/aar.md"), "no folder", status=2)
    refused(run(tmp_path, *drill, "--record", "nowhere/s.yaml"), "no folder", status=2)
    listed = run(tmp_path, "--db", db, "incident", "list", "--json")
    assert json.loads(listed.stdout) == []  # no drill was played
