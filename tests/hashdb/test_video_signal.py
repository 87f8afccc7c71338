"""The ``vpdq`` signal type: its contract, long values in both stores, and a video as one entry in
the service (add, remove, match by file, by posted vPDQ, by a screenshot, and a video finding a
picture among its frames; exports carry it whole)."""

from __future__ import annotations

import asyncio
import functools
import io
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import hashdb.hashing
from hashdb import HashLimits, HashService, LowQualityHash, NewEntry, get_signal, open_hash_service
from hashdb.content_hash import QueryHash
from hashdb.formats import iter_export, iter_parsed
from hashdb.hashing import hash_bytes
from hashdb.perceptual import pdq_hash
from hashdb.store import HashStore
from hashdb.video import VideoFrameHash, VideoHash, parse_video, write_vpdq
from hashdb.video.hasher import KeyFrames
from tests.hashdb.photo_edits import load_photo, photo_bytes
from tests.hashdb.signal_contract import SignalTypeContract
from tests.hashdb.video_clips import (
    OTHER_CLIPS,
    SHORT_SHOTS,
    decode_frames,
    encode,
    flip_bits,
    letterbox,
    random_pdq,
    render,
    short_clip,
    transcode,
)

RNG = random.Random(21)


_hex = functools.partial(random_pdq, RNG)
_flip = functools.partial(flip_bits, rng=RNG)


def _one_frame(pdq: str) -> str:
    return VideoHash((VideoFrameHash(0, pdq, 90, 0.0),), duration=1.0).to_value()


_BASE = _hex()


class TestVideoSignal(SignalTypeContract):
    signal = get_signal("vpdq")
    example = _one_frame(_BASE)
    near = _one_frame(_flip(_BASE, 10))
    unrelated = _one_frame(_hex())

    def query(self, value: str) -> QueryHash:
        return self.signal.query_hash(value)


def test_vpdq_text_in_either_column_order_parses_to_the_stored_value() -> None:
    pdq = _hex()
    signal = get_signal("VPDQ")
    second = _flip(pdq, 3)
    value = signal.parse(f"0,{pdq},90,0.000\n1,{second},80,1.000\n")
    assert value == signal.parse(f"# C++ tool\n0,90,{pdq.upper()},0.000\n1,80,{second},1.000")
    assert value == f"0,{pdq},90,0.000;1,{second},80,1.000"
    assert signal.parse(value) == value


async def test_long_values_are_stored_and_deduplicated(store: HashStore) -> None:
    """An hour of frames is ~270 KB: PostgreSQL's b-tree refused index rows over 2.7 KB."""
    from datetime import UTC, datetime

    from hashdb.records import HashList

    frames = tuple(VideoFrameHash(k, _hex(), 90, float(k)) for k in range(3600))
    value = VideoHash(frames, duration=3600.0).to_value()
    assert len(value) > 250_000
    now = datetime(2026, 1, 1, tzinfo=UTC)
    videos = HashList("videos", "", (), {}, "block", False, None, "public", (), now, "t")
    await store.create_list(videos)
    item = NewEntry("vpdq", value)
    (first,) = await store.add_entries("videos", [item], added_by="t", at=now)
    (again,) = await store.add_entries("videos", [item], added_by="t", at=now)
    assert again.id == first.id and again.value == value
    (changed,) = await store.index_changes(0, 10)
    assert changed.value == value


# -- the service -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clip() -> bytes:
    return short_clip()


@pytest.fixture(scope="module")
def screenshot(clip: bytes) -> bytes:
    """A PNG of the frame shown 4 s in (a screenshot of the video)."""
    frame = next(pixels for t, pixels in decode_frames(clip) if t >= 4.0)
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, "PNG")
    return buffer.getvalue()


async def _video_list(service: HashService, clip: bytes) -> int:
    await service.create_list("attack-videos", created_by="t")
    (hashed,) = hash_bytes(clip, name="attack.mp4")
    assert hashed.signal == "vpdq"
    (entry,) = await service.add_entries(
        "attack-videos", [NewEntry("vpdq", hashed.value, source="attack.mp4")], added_by="t"
    )
    return entry.id


async def test_a_video_is_one_entry_and_its_removal_removes_every_frame(
    service: HashService, clip: bytes
) -> None:
    entry_id = await _video_list(service, clip)
    await service.refresh()
    assert service.index_sizes()["vpdq"] == 1
    stored = parse_video((await service.get_entry(entry_id)).value)
    assert service.index_rows()["vpdq"] == len(stored.frames) > 1
    assert len(await service.entries("attack-videos")) == 1
    await service.remove_entry(entry_id, reason="test", removed_by="t")
    await service.refresh()
    assert (service.index_sizes()["vpdq"], service.index_rows()["vpdq"]) == (0, 0)


async def test_an_edited_copy_matches_with_shares_and_time_ranges(
    service: HashService, clip: bytes
) -> None:
    entry_id = await _video_list(service, clip)
    copy = transcode(clip, transform=letterbox, start=3.0)
    results = await service.match_bytes(copy, name="copy.mp4")
    assert [r.query.signal for r in results][:3] == ["md5", "sha256", "vpdq"]
    assert {r.query.signal for r in results[3:]} <= {"orb"}  # local features of key frames
    assert not results[0].matches and not results[1].matches
    (match,) = results[2].matches
    assert match.entry.id == entry_id and match.list_name == "attack-videos"
    detail = dict(match.detail or {})
    assert detail["matched"] is True and detail["query_share"] >= 0.5
    segment = detail["segments"][0]
    assert segment["stored"]["start"] == pytest.approx(3.0, abs=1.5)
    assert segment["stored"]["end"] == pytest.approx(9.0, abs=1.5)
    assert segment["query"]["start"] == pytest.approx(0.0, abs=1.5)


async def test_the_same_file_matches_by_its_digests(service: HashService, clip: bytes) -> None:
    entry_id = await _video_list(service, clip)
    results = await service.match_bytes(clip, name="same.mp4")
    by_signal = {r.query.signal: r for r in results}
    (md5,) = by_signal["md5"].matches
    assert md5.entry.id == entry_id and dict(md5.detail or {}) == {"same_file": "md5"}
    assert by_signal["vpdq"].matches[0].entry.id == entry_id


async def test_a_posted_vpdq_hash_matches(service: HashService, clip: bytes) -> None:
    entry_id = await _video_list(service, clip)
    (hashed,) = hash_bytes(transcode(clip, start=2.0), name="excerpt.mp4")
    text = "".join(write_vpdq(parse_video(hashed.value)))  # as another platform would send it
    result = await service.match("vpdq", text)
    assert [m.entry.id for m in result.matches] == [entry_id]


async def test_a_screenshot_finds_the_video_and_the_second(
    service: HashService, clip: bytes, screenshot: bytes
) -> None:
    entry_id = await _video_list(service, clip)
    results = await service.match_bytes(screenshot, name="screenshot.png")
    (match,) = next(r for r in results if r.query.signal == "pdq").matches
    assert match.entry.id == entry_id
    assert dict(match.detail or {})["timestamp"] == pytest.approx(4.0, abs=1.0)


async def test_a_video_finds_a_picture_among_its_frames(
    service: HashService, clip: bytes, screenshot: bytes
) -> None:
    await service.create_list("stills", created_by="t")
    picture = pdq_hash(Image.open(io.BytesIO(screenshot)).convert("RGB"))
    (entry,) = await service.add_entries(
        "stills", [NewEntry("pdq", picture.value, quality=picture.quality)], added_by="t"
    )
    results = await service.match_bytes(clip, name="clip.mp4")
    video = next(r for r in results if r.query.signal == "vpdq")
    assert [m.entry.id for m in video.matches] == [entry.id]


async def test_a_video_of_flat_frames_is_refused_unless_allowed(service: HashService) -> None:
    await service.create_list("videos", created_by="t")
    flat = VideoHash((VideoFrameHash(0, _hex(), 10, 0.0),), duration=1.0).to_value()
    with pytest.raises(LowQualityHash, match="no frame of PDQ quality 50"):
        await service.add_entries("videos", [NewEntry("vpdq", flat)], added_by="t")
    added = await service.add_entries(
        "videos", [NewEntry("vpdq", flat, allow_low_quality=True)], added_by="t"
    )
    assert len(added) == 1


async def test_json_lines_export_and_import_carry_the_video_whole(
    service: HashService, clip: bytes
) -> None:
    await _video_list(service, clip)
    entries = await service.entries("attack-videos")
    lines = list(iter_export(entries, "jsonl"))
    parsed = [item for _, item in iter_parsed(lines, "jsonl")]
    assert len(parsed) == 1 and isinstance(parsed[0], NewEntry)
    assert parsed[0].signal == "vpdq" and parsed[0].value == entries[0].value
    (_, item), *_ = iter_parsed(list(iter_export(entries, "text")), "text")
    assert isinstance(item, NewEntry) and item.value == entries[0].value


def test_frames_of_the_clip_are_real() -> None:
    """Guards the fixtures: the clip's frames are detailed enough to be usable."""
    frames = list(render(SHORT_SHOTS, (160, 90), 10))
    assert all(pdq_hash(np.ascontiguousarray(f)).quality >= 50 for f in frames[::10])


def test_key_frames_stay_few_and_spread_over_the_video() -> None:
    keys = KeyFrames(8)
    frame = np.zeros((2, 2, 3), np.uint8)
    for second in range(1000):
        keys(float(second), frame)
    times = [t for t, _ in keys.frames]
    assert 4 <= len(times) <= 8 and times[0] == 0.0
    assert times[-1] >= 500  # not just the first few
    gaps = {b - a for a, b in zip(times, times[1:], strict=False)}
    assert len(gaps) == 1  # evenly spread


def _picture_inside_a_video() -> bytes:
    """Chelsea shown at half size on a dark screen for 3 s (a news programme's inset, say),
    then 3 s of an unrelated shot."""
    photo = load_photo("chelsea.png").resize((220, 146))

    def frames() -> Iterator[np.ndarray]:
        for k in range(30):
            canvas = Image.new("RGB", (480, 270), (20, 20, 30))
            canvas.paste(photo, (200 + k, 60))  # drifting slowly
            yield np.asarray(canvas)
        yield from render(OTHER_CLIPS["studio"][:1], (480, 270), 10)

    return encode(frames(), 10)


async def test_a_video_finds_a_stored_picture_by_local_features_of_its_key_frames(
    service: HashService,
) -> None:
    await service.create_list("stills", created_by="t")
    items = [
        NewEntry(h.signal, h.value, quality=h.quality)
        for h in hash_bytes(photo_bytes("chelsea.png"))
        if h.signal in ("orb", "md5")
    ]
    entries = await service.add_entries("stills", items, added_by="t")
    orb_entry = next(e for e in entries if e.signal == "orb")
    results = await service.match_bytes(_picture_inside_a_video(), name="inset.mp4")
    local = [r for r in results if r.query.signal == "orb"]
    assert local and all(r.query.frame_seconds is not None for r in local)
    (found,) = [r for r in local if r.matches]
    assert found.query.frame_seconds == 0.0
    assert [m.entry.id for m in found.matches] == [orb_entry.id]
    assert "scale 0.4" in found.matches[0].describe()  # shown at under half its size


async def test_pictures_are_hashed_while_a_video_is(
    tmp_path: Path, clip: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Videos have a pool of their own: with one picture decode at a time, a picture's lookup
    still never waits behind a video being hashed."""
    started, release = threading.Event(), threading.Event()
    real = hashdb.hashing.query_video

    def slow_video(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashdb.hashing, "query_video", slow_video)
    limits = HashLimits(max_concurrent_decodes=1)
    async with open_hash_service(str(tmp_path / "pools.db"), limits=limits) as service:
        video = asyncio.create_task(service.match_bytes(clip, name="long.mp4"))
        await asyncio.to_thread(started.wait, 30)
        picture = await asyncio.wait_for(service.match_bytes(photo_bytes("coffee.png")), 10)
        assert {r.query.signal for r in picture} >= {"md5", "pdq"}
        assert not video.done()  # still hashing the video
        release.set()
        assert [r.query.signal for r in await video][:3] == ["md5", "sha256", "vpdq"]
