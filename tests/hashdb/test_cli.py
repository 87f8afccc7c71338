"""`crisisbot hash` and `crisisbot hashdb ...` through a real subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.cli_env import run_crisisbot

from .imaging import crop_fraction, encode, synthetic_photo


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_crisisbot(tmp_path, *args, timeout=100)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    photo = synthetic_photo(3)
    paths = {
        "photo": tmp_path / "photo.jpg",
        "mirror": tmp_path / "mirror.jpg",
        "flat": tmp_path / "flat.png",
        "junk": tmp_path / "junk.txt",
    }
    paths["photo"].write_bytes(encode(photo))
    paths["mirror"].write_bytes(encode(photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    paths["flat"].write_bytes(encode(Image.new("RGB", (200, 200), (40, 40, 40)), "PNG"))
    paths["junk"].write_text("not an image")
    return paths


def test_hash_json_and_batch_errors(tmp_path: Path, files: dict[str, Path]) -> None:
    result = run(tmp_path, "hash", str(files["photo"]), str(files["junk"]), "--json")
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert [r["file"] for r in out["results"]] == [str(files["photo"])]
    signals = [h["signal"] for h in out["results"][0]["hashes"]]
    assert signals == ["md5", "sha256", "pdq", "phash", "orb"]
    assert "junk.txt: not an image" in result.stderr and "1 error(s)" in result.stderr
    table = run(tmp_path, "hash", str(files["flat"]))
    assert table.returncode == 0 and "LOW QUALITY" in table.stdout


def test_hashdb_workflow(tmp_path: Path, files: dict[str, Path]) -> None:
    assert (
        run(
            tmp_path,
            "hashdb",
            "create",
            "tve",
            "--label",
            "tve",
            "--threshold",
            "pdq=25",
            "--by",
            "alice",
        ).returncode
        == 0
    )
    created = run(tmp_path, "hashdb", "create", "news", "--kind", "allow", "--json")
    assert json.loads(created.stdout)["kind"] == "allow"
    again = run(tmp_path, "hashdb", "create", "tve")
    assert again.returncode == 1 and "already exists" in again.stderr

    lists = json.loads(run(tmp_path, "hashdb", "lists", "--json").stdout)
    assert [(hl["name"], hl["thresholds"]) for hl in lists] == [("news", {}), ("tve", {"pdq": 25})]

    added = run(
        tmp_path,
        "hashdb",
        "add",
        "tve",
        str(files["photo"]),
        str(files["flat"]),
        "--hash",
        "md5:" + "ab" * 16,
        "--json",
    )
    assert added.returncode == 0, added.stderr
    body = json.loads(added.stdout)
    # the photo's five hashes, the flat picture's md5, sha256 and pHash, and the --hash md5; the
    # flat picture has no local features and its low-quality PDQ is skipped, and said so
    by_file = [(e["source"], e["signal"]) for e in body["added"]]
    assert by_file == [
        ("", "md5"),
        *(("photo.jpg", s) for s in ("md5", "sha256", "pdq", "phash", "orb")),
        *(("flat.png", s) for s in ("md5", "sha256", "phash")),
    ]
    (skipped,) = body["skipped"]
    assert (skipped["input"], skipped["signal"]) == (str(files["flat"]), "pdq")
    assert "quality" in skipped["reason"] and body["errors"] == []

    check = run(tmp_path, "hashdb", "check", str(files["mirror"]), "--json")
    assert check.returncode == 0
    pdq = [r for r in json.loads(check.stdout)["results"] if r["query"]["signal"] == "pdq"][0]
    assert pdq["matches"][0]["list_name"] == "tve" and pdq["matches"][0]["labels"] == ["tve"]
    # added from a file, the photo's entries carry crops of it: a cropped copy matches
    (photo_pdq,) = [e for e in body["added"] if e["signal"] == "pdq"]
    assert {v["kind"] for v in photo_pdq["variants"]} >= {"crop-5", "crop-10"}
    cropped = tmp_path / "cropped.jpg"
    cropped.write_bytes(encode(crop_fraction(synthetic_photo(3), 0.10)))
    check = json.loads(run(tmp_path, "hashdb", "check", str(cropped), "--json").stdout)
    pdq = [r for r in check["results"] if r["query"]["signal"] == "pdq"][0]
    assert pdq["matches"][0]["matched_variant"] == "crop-10"
    plain = run(tmp_path, "hashdb", "check", "--hash", "md5:" + "ab" * 16)
    assert "MATCH list=tve" in plain.stdout
    bad = run(tmp_path, "hashdb", "check", "--hash", "md5:xyz")
    assert bad.returncode == 1 and "md5" in bad.stderr

    table = run(tmp_path, "hashdb", "add", "tve", str(files["flat"]), str(files["photo"]))
    assert table.returncode == 0
    assert f"skipped\t{files['flat']}\tpdq\tPDQ hash" in table.stdout
    assert "\torb\t" in table.stdout and "keypoints" in table.stdout  # a summary, not 20 KB
    assert max(len(line) for line in table.stdout.splitlines()) < 1000
    forced = run(tmp_path, "hashdb", "add", "tve", str(files["flat"]), "--allow-low-quality")
    assert "\tpdq\t" in forced.stdout and "skipped" not in forced.stdout

    entry_id = body["added"][0]["id"]
    removed = run(tmp_path, "hashdb", "remove", str(entry_id), "--reason", "test", "--json")
    assert json.loads(removed.stdout)["removed"][0]["removal_reason"] == "test"
    twice = run(tmp_path, "hashdb", "remove", str(entry_id), "--reason", "test")
    assert twice.returncode == 1 and "already removed" in twice.stderr


def test_import_export(tmp_path: Path) -> None:
    run(tmp_path, "hashdb", "create", "imported")
    pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    source = tmp_path / "in.csv"
    source.write_text(
        "hash,signal_type,labels\n"
        f"{pdq},pdq,tve\n"
        "123,pdq,\n"
        f'{"cd" * 16},HASH_MD5,"a,b"\n'
        f"{'0' * 64},pdq,\n"
    )
    result = run(tmp_path, "hashdb", "import", "imported", str(source), "--json")
    assert result.returncode == 1
    body = json.loads(result.stdout)
    assert body["imported"] == 2
    assert len(body["errors"]) == 2
    assert body["errors"][0].startswith(f"{source}:3:")
    assert body["errors"][1].startswith(f"{source}:5:") and "bits set" in body["errors"][1]

    exported = run(tmp_path, "hashdb", "export", "imported", "--format", "text")
    assert exported.stdout.splitlines() == [f"pdq {pdq}", f"md5 {'cd' * 16}"]
    out = tmp_path / "out.jsonl"
    assert (
        run(
            tmp_path, "hashdb", "export", "imported", "--format", "jsonl", "-o", str(out)
        ).returncode
        == 0
    )
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["labels"] for line in lines] == [["tve"], ["a", "b"]]

    run(tmp_path, "hashdb", "create", "copy")
    again = run(tmp_path, "hashdb", "import", "copy", str(out))
    assert again.returncode == 0 and "Imported 2" in again.stdout
    missing = run(tmp_path, "hashdb", "export", "nope")
    assert missing.returncode == 1 and "no hash list named 'nope'" in missing.stderr


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("hashdb:\n  max_file_bytes: lots\n")
    result = run(tmp_path, "--config", str(cfg), "hashdb", "lists")
    assert result.returncode != 0
    assert "hashdb.max_file_bytes" in result.stderr


def test_a_drill_export_cannot_be_imported_into_a_real_list(tmp_path: Path) -> None:
    pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    source = tmp_path / "drill.jsonl"  # as the API exports an exercise list: every line marked
    source.write_text(
        json.dumps({"signal": "pdq", "value": pdq, "drill": True}) + "\n"
        + json.dumps({"signal": "md5", "value": "cd" * 16, "drill": False}) + "\n"
    )  # fmt: skip
    run(tmp_path, "hashdb", "create", "real")
    result = run(tmp_path, "hashdb", "import", "real", str(source), "--json")
    assert result.returncode == 1
    body = json.loads(result.stdout)
    assert body["imported"] == 1  # the unmarked line only
    (error,) = body["errors"]
    assert error.startswith(f"{source}:1:") and "drill" in error.lower()
    exported = run(tmp_path, "hashdb", "export", "real", "--format", "text")
    assert exported.stdout.splitlines() == [f"md5 {'cd' * 16}"]

    run(tmp_path, "hashdb", "create", "exercise", "--exercise")
    drill_only = tmp_path / "drill-only.jsonl"
    drill_only.write_text(source.read_text().splitlines()[0] + "\n")
    imported = run(tmp_path, "hashdb", "import", "exercise", str(drill_only), "--json")
    assert imported.returncode == 0 and json.loads(imported.stdout)["imported"] == 1


def test_a_latin1_file_is_refused_with_its_line_and_a_bom_csv_is_read(tmp_path: Path) -> None:
    """Once ``internal error (UnicodeDecodeError)`` with no file or line, and a CSV saved by
    Excel as "CSV UTF-8" (a byte-order mark before ``hash``) refused for a missing column."""
    pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    run(tmp_path, "hashdb", "create", "tve")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        f"hash,signal_type,labels\n{pdq},pdq,tve\n{'cd' * 16},md5,attaque à Christchurch\n".encode(
            "latin-1"
        )
    )
    result = run(tmp_path, "hashdb", "import", "tve", str(latin1))
    assert result.returncode == 1 and "internal error" not in result.stderr
    assert f"{latin1}:3: not UTF-8 text" in result.stderr and "0xe0" in result.stderr
    listed = run(tmp_path, "hashdb", "export", "tve", "--format", "text")
    assert listed.stdout == ""  # nothing imported from a file in the wrong encoding

    bom = tmp_path / "excel.csv"
    bom.write_bytes(
        f"hash,signal_type,labels\r\n{pdq},pdq,attaque à Christchurch\r\n".encode("utf-8-sig")
    )
    result = run(tmp_path, "hashdb", "import", "tve", str(bom), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == 1
    exported = run(tmp_path, "hashdb", "export", "tve", "--format", "jsonl")
    assert json.loads(exported.stdout)["labels"] == ["attaque à Christchurch"]
