"""Videos through the command line (real subprocesses): ``crisisbot hash --format vpdq``, a video
added as one entry, an edited copy checked with its time ranges, vPDQ import and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hashdb.video import hash_video, read_vpdq
from tests.hashdb.test_cli import run
from tests.hashdb.video_clips import letterbox, short_clip, transcode


@pytest.fixture(scope="module")
def clip() -> bytes:
    return short_clip()


def test_hash_prints_a_summary_and_the_vpdq_lines(tmp_path: Path, clip: bytes) -> None:
    path = tmp_path / "attack.mp4"
    path.write_bytes(clip)
    table = run(tmp_path, "hash", str(path))
    assert table.returncode == 0, table.stderr
    (line,) = table.stdout.splitlines()
    video = hash_video(clip)
    assert line.startswith(f"{path}\tvpdq\t{len(video.frames)} frames, 00:09, 10 fps, sha256 ")
    lines = run(tmp_path, "hash", str(path), "--format", "vpdq")
    assert lines.returncode == 0, lines.stderr
    assert read_vpdq(lines.stdout).frames == video.frames
    photo = tmp_path / "still.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    both = run(tmp_path, "hash", str(path), str(photo), "--format", "vpdq")
    assert both.returncode == 1 and both.stdout.startswith(f"# {path}\n")
    assert "still.png" in both.stderr


def test_a_video_is_added_checked_exported_and_imported(tmp_path: Path, clip: bytes) -> None:
    original = tmp_path / "attack.mp4"
    original.write_bytes(clip)
    copy = tmp_path / "repost.mp4"
    copy.write_bytes(transcode(clip, transform=letterbox, start=3.0))
    assert run(tmp_path, "hashdb", "create", "videos").returncode == 0
    added = run(tmp_path, "hashdb", "add", "videos", str(original), "--json")
    assert added.returncode == 0, added.stderr
    [entry] = json.loads(added.stdout)["added"]
    assert (entry["signal"], entry["source"]) == ("vpdq", "attack.mp4")

    check = run(tmp_path, "hashdb", "check", str(copy))
    assert check.returncode == 0, check.stderr
    [match] = [line for line in check.stdout.splitlines() if "MATCH" in line]
    assert "\tvpdq\t" in match and f"entry=#{entry['id']}" in match
    assert "(query 00:00-00:0" in match and "<-> stored 00:0" in match

    exported = run(tmp_path, "hashdb", "export", "videos", "--format", "vpdq-jsonl")
    assert exported.returncode == 0, exported.stderr
    [line] = exported.stdout.splitlines()
    record = json.loads(line)
    assert record["name"] == "attack.mp4" and record["id"] == entry["id"]
    assert len(record["frames"]) == len(hash_video(clip).frames)

    text = tmp_path / "shared.vpdq"
    text.write_text(run(tmp_path, "hash", str(original), "--format", "vpdq").stdout)
    assert run(tmp_path, "hashdb", "create", "shared").returncode == 0
    imported = run(tmp_path, "hashdb", "import", "shared", str(text))
    assert imported.returncode == 0, imported.stderr
    listed = run(tmp_path, "hashdb", "export", "shared", "--format", "jsonl")
    [shared] = [json.loads(x) for x in listed.stdout.splitlines()]
    assert shared["signal"] == "vpdq" and shared["source"] == "shared.vpdq"
