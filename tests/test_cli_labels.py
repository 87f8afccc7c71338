"""`--label x --label y` and `--labels x,y` are the same thing on every hashdb command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crisisbot", "--db", f"sqlite:///{cwd / 'l.db'}", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


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
