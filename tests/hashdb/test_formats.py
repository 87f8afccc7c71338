"""Import/export formats: round trips, field conventions, and errors with line numbers."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hashdb import Entry, ImportFormatError, InvalidArgument, NewEntry
from hashdb.content_hash import HashVariant
from hashdb.formats import (
    ENTRY_FORMATS,
    detect_format,
    iter_export,
    iter_parsed,
    parse_entries,
    text_lines,
)

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def entry(i: int, signal: str, value: str, labels: tuple[str, ...]) -> Entry:
    return Entry(
        id=i,
        list_name="l",
        signal=signal,
        value=value,
        labels=labels,
        source="src",
        incident_id="inc-1" if i == 1 else None,
        added_by="alice",
        added_at=datetime(2026, 3, 15, tzinfo=UTC),
        quality=88 if signal == "pdq" else None,
    )


ENTRIES = [entry(1, "pdq", PDQ, ("tve", "christchurch 2019")), entry(2, "md5", MD5, ())]


@pytest.mark.parametrize("fmt", ENTRY_FORMATS)
def test_round_trip(fmt: str) -> None:
    text = "".join(iter_export(ENTRIES, fmt))
    parsed = parse_entries(io.StringIO(text), fmt)
    assert [(p.signal, p.value) for p in parsed] == [("pdq", PDQ), ("md5", MD5)]
    if fmt != "text":  # the plain form carries hashes only
        assert parsed[0].labels == ("tve", "christchurch 2019")
        assert (parsed[0].source, parsed[0].incident_id, parsed[0].quality) == ("src", "inc-1", 88)


def test_csv_field_conventions() -> None:
    text = f"hash,signal_type,labels\n{PDQ.upper()},HASH_PDQ,tve;attack\n{MD5},md5,\n\n"
    parsed = parse_entries(io.StringIO(text), "csv")
    assert parsed[0] == NewEntry("pdq", PDQ, labels=("tve", "attack"))
    assert parsed[1] == NewEntry("md5", MD5)
    no_type = parse_entries(io.StringIO(f"hash\n{PDQ}\n"), "csv")
    assert no_type == [NewEntry("pdq", PDQ)]
    header = next(iter_export(ENTRIES, "csv"))
    assert header.startswith("hash,signal_type,labels,")


def test_errors_carry_line_numbers_and_the_rest_parses() -> None:
    text = "pdq " + PDQ + "\n# comment\n\nmd5 123\ntlsh abc\njust-one-field\nmd5 " + MD5 + "\n"
    results = list(iter_parsed(io.StringIO(text), "text", source="list.txt"))
    errors = [(line, str(item)) for line, item in results if isinstance(item, ImportFormatError)]
    assert [line for line, _ in errors] == [4, 5, 6]
    assert errors[0][1].startswith("list.txt:4: md5: expected 32 hex digits")
    assert "unknown signal type 'tlsh'" in errors[1][1]
    assert [line for line, item in results if isinstance(item, NewEntry)] == [1, 7]
    with pytest.raises(ImportFormatError, match="list.txt:4"):
        parse_entries(io.StringIO(text), "text", source="list.txt")


def test_jsonl_errors() -> None:
    text = '{"signal": "md5", "value": "' + MD5 + '"}\nnot json\n[1]\n{"hash": "' + PDQ + '"}\n'
    results = list(iter_parsed(io.StringIO(text), "jsonl"))
    kinds = [(line, type(item).__name__) for line, item in results]
    assert kinds == [
        (1, "NewEntry"),
        (2, "ImportFormatError"),
        (3, "ImportFormatError"),
        (4, "NewEntry"),
    ]


def test_csv_errors() -> None:
    missing = list(iter_parsed(io.StringIO("signal_type,labels\npdq,x\n"), "csv"))
    assert len(missing) == 1 and "'hash' column" in str(missing[0][1])
    rows = f"hash,signal_type\n{PDQ},pdq\nzz,pdq\n{MD5},md5,extra\n"
    results = list(iter_parsed(io.StringIO(rows), "csv"))
    assert [(line, isinstance(item, ImportFormatError)) for line, item in results] == [
        (2, False),
        (3, True),
        (4, True),
    ]


def test_format_detection() -> None:
    assert detect_format("a.CSV") == "csv"
    assert detect_format("a.ndjson") == "jsonl"
    assert detect_format("a.txt") == "text"
    assert detect_format("a.bin", "jsonl") == "jsonl"
    with pytest.raises(InvalidArgument, match="cannot tell"):
        detect_format("a.bin")
    with pytest.raises(InvalidArgument, match="unknown format"):
        list(iter_export(ENTRIES, "xml"))


def test_jsonl_keeps_variants_through_export_and_import() -> None:
    crops = (HashVariant("crop-10", "1" * 64), HashVariant("crop-bottom-12", "2" * 64))
    exported = "".join(iter_export([replace(entry(1, "pdq", PDQ, ()), variants=crops)], "jsonl"))
    ((_, parsed),) = iter_parsed(io.StringIO(exported), "jsonl")
    assert isinstance(parsed, NewEntry) and tuple(parsed.variants) == crops
    bad = '{"signal": "pdq", "value": "' + PDQ + '", "variants": ["crop-10"]}\n'
    ((_, error),) = iter_parsed(io.StringIO(bad), "jsonl")
    assert isinstance(error, ImportFormatError) and "variants" in str(error)


def test_text_lines_read_utf8_as_text_mode_would_and_locate_other_encodings() -> None:
    raw = "\ufeffhash,labels\r\nab,é\rcd,x\nlast".encode()
    lines = list(text_lines(io.BytesIO(raw), source="f.csv"))
    assert lines == ["hash,labels\r\n", "ab,é\r", "cd,x\n", "last"]
    assert lines == io.StringIO(raw.decode("utf-8-sig"), newline="").readlines()
    bad = io.BytesIO(b"a\r\nb\rc\n" + "d,é\n".encode("latin-1"))
    with pytest.raises(ImportFormatError, match=r"^f.csv:4: not UTF-8 text \(byte 0xe9 at"):
        list(text_lines(bad, source="f.csv"))
    inner_bom = "a\n\ufeffb\n".encode()  # only a mark in front is an encoding mark
    assert list(text_lines(io.BytesIO(inner_bom))) == ["a\n", "\ufeffb\n"]
