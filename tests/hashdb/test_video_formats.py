"""The vPDQ model and its exchange formats: per-frame text (both reference column orders) and JSON
lines; pruning; time formatting. No decoding here (the hashes are made up)."""

from __future__ import annotations

import functools
import json
import random

import pytest

from hashdb.errors import ImportFormatError
from hashdb.video import (
    VideoFrameHash,
    VideoHash,
    VideoParseError,
    format_seconds,
    iter_video_jsonl,
    parse_video,
    prune_frames,
    read_vpdq,
    video_jsonl_line,
    write_vpdq,
)
from tests.hashdb.video_clips import flip_bits, random_pdq

RNG = random.Random(12)


_hex = functools.partial(random_pdq, RNG)
_flip = functools.partial(flip_bits, rng=RNG)


def _video(count: int = 5) -> VideoHash:
    frames = tuple(VideoFrameHash(k * 30, _hex(), 90 - k, k * 1.0) for k in range(count))
    return VideoHash(frames, duration=float(count), fps=30.0, md5="0" * 32, sha256="1" * 64)


def test_text_round_trip_is_byte_identical() -> None:
    video = _video()
    text = "".join(write_vpdq(video))
    assert text.splitlines()[1] == f"30,{video.frames[1].pdq},89,1.000"
    again = read_vpdq(text, source="clip.vpdq")
    assert again.frames == video.frames
    assert "".join(write_vpdq(again)) == text


def test_reads_the_cpp_tool_column_order_comments_and_upper_case() -> None:
    pdq = _hex()
    text = f"# vpdq-hash-video output\n\n0,100,{pdq.upper()},0.000\n1,{pdq},98,0.033\n"
    video = read_vpdq(text)
    assert [(f.frame_number, f.pdq, f.quality, f.timestamp) for f in video.frames] == [
        (0, pdq, 100, 0.0),
        (1, pdq, 98, 0.033),
    ]


def test_frames_are_sorted_by_time() -> None:
    a, b = _hex(), _hex()
    video = read_vpdq(f"5,{a},90,2.5\n0,{b},90,0.0\n")
    assert [f.timestamp for f in video.frames] == [0.0, 2.5]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0,abc,90,0.0", "no 64-hex-digit PDQ"),
        ("x,{pdq},90,0.0", "frame number 'x' is not an integer"),
        ("-1,{pdq},90,0.0", "frame number -1 is negative"),
        ("0,{pdq},101,0.0", "quality 101 is not between 0 and 100"),
        ("0,{pdq},90,nan", "not a time >= 0"),
        ("0,{pdq},90,-3", "not a time >= 0"),
        ("0,{pdq},90", "expected 4 comma-separated fields"),
        ("0,{pdq},90,0.0,7", "expected 4 comma-separated fields"),
    ],
)
def test_bad_lines_name_the_source_and_line(line: str, message: str) -> None:
    good = f"0,{_hex()},90,0.0"
    text = f"{good}\n{line.format(pdq=_hex())}\n"
    with pytest.raises(ImportFormatError, match=message) as caught:
        read_vpdq(text, source="bad.vpdq")
    assert caught.value.line == 2
    assert str(caught.value).startswith("bad.vpdq:2:")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ImportFormatError, match="no vPDQ frames"):
        read_vpdq("# nothing\n\n", source="empty.vpdq")


def test_jsonl_round_trip_keeps_metadata_and_extra_fields() -> None:
    video = _video()
    line = video_jsonl_line(video, labels=["christchurch"], source="gifct")
    [(number, record)] = list(iter_video_jsonl([line], source="list.jsonl"))
    assert number == 1 and not isinstance(record, ImportFormatError)
    assert record.video == video
    assert dict(record.fields) == {"labels": ["christchurch"], "source": "gifct"}
    assert video_jsonl_line(record.video, **record.fields) == line


def test_jsonl_takes_frame_objects_and_reports_each_bad_line() -> None:
    pdq = _hex()
    good = {"name": "a", "frames": [{"frame_number": 0, "pdq": pdq, "quality": 80, "timestamp": 0}]}
    lines = [
        json.dumps(good),
        "not json",
        json.dumps([1, 2]),
        json.dumps({"frames": []}),
        json.dumps({"frames": [f"0,{pdq},80,0"], "md5": "xyz"}),
        json.dumps({"frames": [f"0,{pdq},80,0"], "fps": "fast"}),
        json.dumps({"frames": [f"0,{pdq},80,0", "1,zz,80,1"]}),
    ]
    parsed = list(iter_video_jsonl(lines, source="videos.jsonl"))
    assert [n for n, _ in parsed] == [1, 2, 3, 4, 5, 6, 7]
    first = parsed[0][1]
    assert not isinstance(first, ImportFormatError) and first.video.frames[0].pdq == pdq
    errors = [str(r) for _, r in parsed[1:]]
    assert all(isinstance(r, ImportFormatError) for _, r in parsed[1:])
    assert errors[0].startswith("videos.jsonl:2: invalid JSON")
    assert "expected a JSON object" in errors[1]
    assert "non-empty list" in errors[2]
    assert "md5" in errors[3]
    assert "fps must be a number" in errors[4]
    assert "frame 1:" in errors[5]


def test_model_refuses_bad_values() -> None:
    with pytest.raises(ValueError, match="quality 120"):
        VideoHash((VideoFrameHash(0, _hex(), 120, 0.0),))
    with pytest.raises(ValueError, match="lower-case hex"):
        VideoHash((VideoFrameHash(0, _hex().upper(), 50, 0.0),))
    with pytest.raises(ValueError, match="duration"):
        VideoHash((), duration=float("inf"))
    with pytest.raises(ValueError, match="md5"):
        VideoHash((), md5="xyz")


def test_stored_value_is_one_line_and_round_trips() -> None:
    video = VideoHash(
        _video().frames,
        duration=12.5,
        fps=29.97,
        md5="a" * 32,
        sha256="b" * 64,
        cut_short="hashed the first 00:05 only (video_max_seconds = 5)",
    )
    value = video.to_value()
    assert value.startswith("duration=12.500;fps=29.970;md5=")
    assert not any(c.isspace() for c in value)  # one line, one word: every list format takes it
    assert "cut=hashed%20the%20first%2000%3A05%20only" in value
    again = parse_video(value)
    assert again == video and again.to_value() == value


def test_parse_video_reads_text_and_names_the_bad_item() -> None:
    video = _video(3)
    text = "# from vpdq-hash-video\n" + "".join(write_vpdq(video))
    assert parse_video(text).frames == video.frames
    with pytest.raises(VideoParseError, match="item 2: quality 900") as caught:
        parse_video(f"fps=30;0,{_hex()},900,0.0")
    assert caught.value.item == 2 and caught.value.line is None
    with pytest.raises(VideoParseError, match="line 3: ") as caught:
        parse_video(f"0,{_hex()},90,0.0\n\n0,zz,90,1.0\n")
    assert caught.value.line == 3
    with pytest.raises(VideoParseError, match="unknown field 'speed'"):
        parse_video(f"speed=2;0,{_hex()},90,0.0")
    with pytest.raises(VideoParseError, match="duration given twice"):
        parse_video(f"duration=2;duration=3;0,{_hex()},90,0.0")


def test_pruning_drops_repeats_keeps_changes_and_a_frame_every_span() -> None:
    base = _hex()
    frames = [
        VideoFrameHash(0, base, 90, 0.0),
        VideoFrameHash(1, _flip(base, 4), 90, 1.0),  # a repeat: dropped
        VideoFrameHash(2, _flip(base, 6), 90, 2.0),  # still within 8 of the kept frame: dropped
        VideoFrameHash(3, _hex(), 90, 3.0),  # a new shot: kept
        *(VideoFrameHash(4 + k, _flip(base, 2), 90, 4.0 + k) for k in range(8)),
    ]
    kept = prune_frames(frames)
    times = [f.timestamp for f in kept]
    # the shot back at 4 s is far from the 3 s frame; its repeats are dropped until 5 s pass
    assert times == [0.0, 3.0, 4.0, 9.0]
    assert prune_frames(kept) == kept  # idempotent


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "00:00"), (75.9, "01:15"), (3599, "59:59"), (3723, "1:02:03")]
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text
