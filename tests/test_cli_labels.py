"""`--label x --label y` and `--labels x,y` are the same thing on every hashdb command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_env import run_crisisbot


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_crisisbot(cwd, *args, db="l.db")


def test_labels_repeatable_or_comma_separated(tmp_path: Path) -> None:
    assert run(tmp_path, "hashdb", "create", "tve", "--labels", "attack, 2026").returncode == 0
    added = run(
        tmp_path,
        "hashdb",
        "add",
        "tve",
        "--hash",
        "md5:" + "ab" * 16,
        "--labels",
        "livestream,perpetrator",
        "--label",
        "video",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    (entry,) = json.loads(added.stdout)["added"]
    assert set(entry["labels"]) >= {"livestream", "perpetrator", "video"}
    (hash_list,) = json.loads(run(tmp_path, "hashdb", "lists", "--json").stdout)
    assert hash_list["labels"] == ["attack", "2026"]
