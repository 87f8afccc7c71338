"""Hashing video files: streamed from bytes or a path, the limits that cut a video short, the
key-frame hook, and every kind of bad input refused with a message naming the file."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path

import av
import numpy as np
import pytest

from hashdb.decoding import HashLimits
from hashdb.errors import FileTooLarge, UnsupportedMedia
from hashdb.video import hash_video, query_video, read_vpdq, write_vpdq
from tests.hashdb.video_clips import Shot, encode, render

SHOTS = (
    Shot("astronaut.png", 2, (0.45, 0.45, 0.7), (0.5, 0.45, 0.6)),
    Shot("coffee.png", 2, (0.5, 0.5, 0.9), (0.5, 0.5, 0.7)),
    Shot("chelsea.png", 2, (0.4, 0.5, 0.7), (0.5, 0.5, 0.7)),
)


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    return list(render(SHOTS, (160, 90), 10))


@pytest.fixture(scope="module")
def clip(frames: list[np.ndarray]) -> bytes:
    return encode(frames, 10)


@pytest.fixture(scope="module")
def faststart(frames: list[np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The clip with its index (moov) before the frames, as streaming sites serve MP4."""
    path = tmp_path_factory.mktemp("fast") / "fast.mp4"
    with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        for pixels in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        out.mux(stream.encode(None))
    return path.read_bytes()


@pytest.fixture(scope="module")
def avi(frames: list[np.ndarray]) -> bytes:
    return encode(frames, 10, codec="mpeg4", container="avi")


def test_bytes_and_a_streamed_path_give_the_same_hash(clip: bytes, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(clip)
    from_bytes = hash_video(clip, name="clip.mp4")
    from_path = hash_video(path)
    assert from_bytes == from_path
    assert from_path.name == str(path)
    assert from_path.md5 == hashlib.md5(clip).hexdigest()
    assert from_path.sha256 == hashlib.sha256(clip).hexdigest()
    assert from_path.duration == pytest.approx(6.0) and from_path.fps == pytest.approx(10.0)
    assert from_path.cut_short is None
    times = [f.timestamp for f in from_path.frames]
    assert times[0] == 0.0 and times == sorted(times)
    # one frame a second, less the repeats pruned away; each shot starts a kept frame
    assert 3 <= len(times) <= 6 and {0.0, 2.0, 4.0} <= {round(t) for t in times}
    assert all(f.usable for f in from_path.frames)


def test_vpdq_text_of_a_hashed_video_round_trips(clip: bytes) -> None:
    video = hash_video(clip, name="clip.mp4", prune=False)
    assert len(video.frames) == 6
    text = "".join(write_vpdq(video))
    assert [line.split(",")[0] for line in text.splitlines()] == ["0", "10", "20", "30", "40", "50"]
    assert read_vpdq(text).frames == video.frames


def test_other_containers_and_codecs(avi: bytes, clip: bytes) -> None:
    from_avi = hash_video(avi, name="clip.avi", prune=False)
    from_mp4 = hash_video(clip, name="clip.mp4", prune=False)
    assert len(from_avi.frames) == len(from_mp4.frames)
    pairs = zip(from_avi.frames, from_mp4.frames, strict=True)
    assert all((int(a.pdq, 16) ^ int(b.pdq, 16)).bit_count() <= 31 for a, b in pairs)


def test_sampling_interval_and_caps_say_they_cut_short(clip: bytes) -> None:
    dense = hash_video(clip, limits=HashLimits(video_frame_interval_seconds=0.5), prune=False)
    assert len(dense.frames) == 12
    by_time = hash_video(clip, name="c.mp4", limits=HashLimits(video_max_seconds=3), prune=False)
    assert [f.timestamp for f in by_time.frames] == [0.0, 1.0, 2.0, 3.0]
    assert by_time.cut_short == "hashed the first 00:03 only (video_max_seconds = 3)"
    assert by_time.duration is None  # a partial hash does not claim the whole video's length
    by_count = hash_video(clip, limits=HashLimits(video_max_frames=2), prune=False)
    assert len(by_count.frames) == 2 and "video_max_frames = 2" in (by_count.cut_short or "")


def test_key_frames_are_handed_to_the_hook_and_bounded(clip: bytes) -> None:
    seen: list[tuple[float, tuple[int, ...]]] = []
    query = query_video(clip, on_key_frame=lambda t, pixels: seen.append((t, pixels.shape)))
    times = [round(t) for t, _ in seen]
    assert {0, 2, 4} <= set(times)  # the first frame of each shot (fast pans may add more)
    assert len(times) == len(set(times)) <= len(query.video.frames)
    assert all(shape == (90, 160, 3) for _, shape in seen)
    assert len(query.search_values) == len(query.video.frames)
    seen.clear()
    query_video(clip, on_key_frame=lambda t, p: seen.append((t, p.shape)), max_key_frames=1)
    assert len(seen) == 1


# -- bad input -----------------------------------------------------------------------------------
def _refused(data: bytes | Path, message: str, limits: HashLimits | None = None) -> None:
    with pytest.raises(UnsupportedMedia, match=message) as caught:
        hash_video(data, name="bad.mp4", limits=limits)
    if isinstance(data, bytes):
        assert str(caught.value).startswith("bad.mp4: ")


def _audio_only() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=44100)
        for k in range(10):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 44100, k * 1024
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def _avi_header(data: bytes, **fields: int | bytes) -> bytes:
    """``data`` (an AVI) with stream-header fields overwritten, as a broken or hostile muxer
    writes them: ``handler`` (the codec's four-cc), ``scale``/``rate`` (frames per second as
    rate/scale), ``length`` (frames)."""
    out = bytearray(data)
    strh = out.find(b"strh") + 8
    strf = out.find(b"strf") + 8
    if "handler" in fields:
        out[strh + 4 : strh + 8] = fields["handler"]  # type: ignore[assignment]
        out[strf + 16 : strf + 20] = fields["handler"]  # type: ignore[assignment]
    for key, offset in (("scale", 20), ("rate", 24), ("length", 32)):
        if key in fields:
            struct.pack_into("<I", out, strh + offset, fields[key])
    return bytes(out)


def test_empty_and_non_video_files(clip: bytes) -> None:
    _refused(b"", r"empty file \(0 bytes\)")
    _refused(b"\x89PNG\r\n\x1a\n" + bytes(600), "not a video container")


def test_truncated_files(clip: bytes, faststart: bytes) -> None:
    _refused(clip[: len(clip) * 6 // 10], "cannot open video")  # index at the end: lost
    _refused(faststart[: len(faststart) * 6 // 10], "cannot decode video|truncated video")


def test_corrupt_files(clip: bytes, faststart: bytes) -> None:
    noise = np.random.default_rng(3).integers(0, 256, len(clip), np.uint8).tobytes()
    _refused(clip[:32] + noise[32:], "cannot open video")
    broken = bytearray(faststart)
    start = broken.find(b"mdat") + 200
    broken[start : start + 1800] = noise[:1800]
    _refused(bytes(broken), "cannot decode video")


def test_no_video_stream() -> None:
    _refused(_audio_only(), "no video stream")


def test_unknown_codec(avi: bytes) -> None:
    _refused(_avi_header(avi, handler=b"ZZZZ"), "unknown or unsupported video codec")


def test_absurd_header_values(avi: bytes) -> None:
    _refused(_avi_header(avi, scale=1, rate=1_000_000), r"absurd frame rate .*1,000,000 frames/s")
    _refused(_avi_header(avi, length=0xFFFFFFF0), "absurd duration in the container header")


def test_frames_over_the_pixel_limit(clip: bytes) -> None:
    _refused(clip, "possible decompression bomb .*160x90", HashLimits(max_image_pixels=10_000))


def test_file_size_limits(clip: bytes, tmp_path: Path) -> None:
    with pytest.raises(FileTooLarge, match="bad.mp4: file is too large"):
        hash_video(clip, name="bad.mp4", limits=HashLimits(max_file_bytes=1000))
    path = tmp_path / "big.mp4"
    path.write_bytes(clip)
    with pytest.raises(FileTooLarge, match="big.mp4: video file is too large"):
        hash_video(path, limits=HashLimits(video_max_file_bytes=1000))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMedia, match="nope.mp4: cannot read file"):
        hash_video(tmp_path / "nope.mp4")
    with pytest.raises(UnsupportedMedia, match="is a directory"):
        hash_video(tmp_path)


def test_time_limit(clip: bytes) -> None:
    _refused(
        clip, r"longer than the time limit \(1e-09 s", HashLimits(video_time_limit_seconds=1e-9)
    )
