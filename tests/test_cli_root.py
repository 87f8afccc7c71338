from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crisisbot", *args], capture_output=True, text=True, cwd=cwd
    )


def test_help_lists_subcommands(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for name in ("hash", "hashdb", "incident", "serve", "run", "drill"):
        assert name in result.stdout


def test_help_works_with_a_broken_config(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("api:\n  port: nope\n")
    result = run("--config", str(cfg), "protocol", "--help", cwd=tmp_path)
    assert result.returncode == 0  # help needs no config


def test_unknown_subcommand_fails(tmp_path: Path) -> None:
    result = run("frobnicate", cwd=tmp_path)
    assert result.returncode != 0
    assert "frobnicate" in result.stderr
