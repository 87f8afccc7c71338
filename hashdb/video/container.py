"""Opening untrusted video and sampling its frames, streamed, with bounded memory and time.

Owns every decision about hostile or odd video files, so the hashing code gets sane RGB frames:

- **what counts as video**: containers recognised by their magic bytes only (MP4/MOV, Matroska/
  WebM, AVI, FLV, MPEG-TS), and the demuxer is forced to the one the bytes name. Why: FFmpeg
  would otherwise guess, and some of its demuxers (HLS playlists, ``ffconcat``) open other files
  or URLs named inside the upload;
- **the header is checked before decoding**: no video stream, a codec FFmpeg cannot decode,
  frames over ``HashLimits.max_image_pixels`` (a decompression bomb), and absurd durations or
  frame rates (``ABSURD_DURATION_SECONDS``, ``ABSURD_FPS``) each raise ``UnsupportedMedia``
  naming the file;
- **streamed decode**: packets are read from the file (or the bytes) as decoding goes and each
  decoded frame is dropped unless it is sampled; a sampled frame is scaled down on conversion to
  ``HASH_SIDE`` pixels on its long side. Nothing holds more than one frame;
- **sampling**: the first decoded frame at or after every multiple of
  ``video_frame_interval_seconds`` (from the first frame's time, so streams that start at an
  offset count from 0). Non-reference frames are not decoded at all (``skip_frame``): a sample
  lands at most a frame or two later than the exact multiple, and decoding costs ~40 % less;
- **limits**: ``video_max_seconds`` and ``video_max_frames`` stop hashing and say so in
  ``cut_short``; ``video_time_limit_seconds`` of wall time refuses the file (a hash that depends
  on how busy the machine was would be worse than none); a video whose frames stop well before
  the duration its header promises is refused as truncated.

Why ``HASH_SIDE`` 640: PDQ reduces every frame to 64x64 anyway. Hashing a 720p frame at full size
costs ~20 ms, at 640 px ~4 ms; the hash moves 5-6 bits on average (at most 12-16) against the
full-size one, as it does between any two resolutions of the same video (960 px: 5 bits, 512
px: 10), measured on generated 720p clips. The loop filter is kept: skipping it saved 15-20 %
but moved PDQ up to 26 bits on grainy video.

Imports PyAV and numpy; no hashing, no service.
"""

from __future__ import annotations

import io
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import IO

import av
import numpy as np

from hashdb.decoding import HashLimits, check_decoded_size, check_size
from hashdb.errors import FileTooLarge, UnsupportedMedia
from hashdb.video.model import format_seconds

__all__ = [
    "ABSURD_DURATION_SECONDS",
    "ABSURD_FPS",
    "HASH_SIDE",
    "FrameSampler",
    "SampledFrame",
    "VideoInfo",
    "VideoSource",
    "container_format",
    "looks_like_video",
]

#: long side, in pixels, of the RGB frames handed to the hashes (see the module docstring)
HASH_SIDE = 640
#: a container header claiming a longer video than a week is lying (or broken)
ABSURD_DURATION_SECONDS = 7 * 24 * 3600.0
#: ... or a frame rate above this (high-speed cameras record 960 fps at most)
ABSURD_FPS = 1000.0
#: a video is truncated if its frames stop this share of the promised duration short (and more
#: than two sampling intervals): audio tracks and edit lists make the two differ a little
_TRUNCATED_SHARE = 0.1

#: bytes, or the path of a file streamed from disk (never read whole)
VideoSource = bytes | str | os.PathLike[str]

#: ISO-BMFF brands that are still images (AVIF/HEIF), not video
_IMAGE_BRANDS = (b"avif", b"avis", b"heic", b"heix", b"mif1", b"msf1")


def container_format(head: bytes) -> str | None:
    """The FFmpeg demuxer for a file starting with ``head`` (>= 377 bytes for MPEG-TS), or None
    if it is not a container crisisbot decodes as video."""
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS:
        return "mov"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"FLV"):
        return "flv"
    if len(head) > 376 and head[0] == 0x47 and head[188] == 0x47 and head[376] == 0x47:
        return "mpegts"
    return None


def looks_like_video(data: bytes) -> bool:
    """Whether ``data`` starts like a video container crisisbot decodes."""
    return container_format(data[:512]) is not None


@dataclass(frozen=True)
class VideoInfo:
    """What the container header says (before any frame is decoded)."""

    container: str
    codec: str
    width: int
    height: int
    duration: float | None
    fps: float | None


@dataclass(frozen=True)
class SampledFrame:
    """One sampled frame: its number in the stream, its time from the start, and RGB pixels
    (H x W x 3 uint8, at most ``HASH_SIDE`` on the long side)."""

    frame_number: int
    timestamp: float
    pixels: np.ndarray


def _rate(value: Fraction | None) -> float | None:
    if value is None:
        return None
    try:
        rate = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return rate if math.isfinite(rate) and rate > 0 else None


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    try:
        return float(value * time_base)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


class FrameSampler:
    """Iterate over the sampled frames of a video; use as a context manager.

    ``info`` is read and checked on construction (raises UnsupportedMedia naming ``name``);
    iterating decodes and yields ``SampledFrame``; afterwards ``cut_short`` says why sampling
    stopped early (None when the whole video was sampled) and ``decoded_seconds`` how far it got.
    """

    def __init__(self, source: VideoSource, *, name: str, limits: HashLimits) -> None:
        self.name = name
        self.limits = limits
        self.cut_short: str | None = None
        self.decoded_seconds = 0.0
        self._file: IO[bytes] | None = None
        self._container: av.container.InputContainer | None = None
        try:
            self._open(source)
        except BaseException:
            self.close()
            raise

    # -- opening ----------------------------------------------------------------------------
    def _open(self, source: VideoSource) -> None:
        name, limits = self.name, self.limits
        if isinstance(source, bytes | bytearray | memoryview):
            data = bytes(source)
            check_size(len(data), name=name, limits=limits)
            self._file = io.BytesIO(data)
        else:
            self._file = _open_file(Path(source), name=name, limits=limits)
        head = self._file.read(512)
        self._file.seek(0)
        if not head:
            raise UnsupportedMedia(f"{name}: empty file (0 bytes)")
        fmt = container_format(head)
        if fmt is None:
            raise UnsupportedMedia(f"{name}: not a video container crisisbot decodes")
        try:
            self._container = av.open(self._file, mode="r", format=fmt)
        except (av.error.FFmpegError, OSError, ValueError, EOFError) as exc:
            raise UnsupportedMedia(f"{name}: cannot open video ({_reason(exc)})") from None
        self.info = self._check_header(self._container, fmt)

    def _check_header(self, container: av.container.InputContainer, fmt: str) -> VideoInfo:
        name = self.name
        if not container.streams.video:
            raise UnsupportedMedia(f"{name}: no video stream")
        stream = container.streams.video[0]
        context = stream.codec_context
        codec = getattr(getattr(context, "codec", None), "name", None) if context else None
        if context is None or not codec:
            raise UnsupportedMedia(f"{name}: unknown or unsupported video codec")
        width, height = int(context.width or 0), int(context.height or 0)
        _check_pixels(name, width, height, self.limits)
        fps = _rate(stream.average_rate)
        declared = _rate(stream.average_rate) or _rate(stream.base_rate)
        if declared is not None and declared > ABSURD_FPS:
            raise UnsupportedMedia(
                f"{name}: absurd frame rate in the container header ({declared:,.0f} frames/s)"
            )
        duration = _seconds(stream.duration, stream.time_base)
        if duration is None and container.duration is not None:
            duration = container.duration / 1_000_000
        if duration is not None and not (0 <= duration <= ABSURD_DURATION_SECONDS):
            raise UnsupportedMedia(
                f"{name}: absurd duration in the container header ({duration:,.0f} s)"
            )
        return VideoInfo(fmt, codec, width, height, duration or None, fps)

    # -- sampling ---------------------------------------------------------------------------
    def __iter__(self) -> Iterator[SampledFrame]:
        assert self._container is not None
        name, limits = self.name, self.limits
        interval = limits.video_frame_interval_seconds
        if not (interval > 0 and math.isfinite(interval)):
            raise UnsupportedMedia(f"{name}: the frame interval must be > 0 s, not {interval}")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.skip_frame = "NONREF"
        deadline = time.monotonic() + limits.video_time_limit_seconds
        origin: float | None = None
        previous = 0.0
        next_sample = 0.0
        sampled = 0
        decoded = 0
        try:
            for frame in self._container.decode(stream):
                decoded += 1
                if time.monotonic() > deadline:
                    raise UnsupportedMedia(
                        f"{name}: decoding took longer than the time limit "
                        f"({limits.video_time_limit_seconds:g} s, video_time_limit_seconds)"
                    )
                stamp = frame.time
                if stamp is None or not math.isfinite(stamp):
                    stamp = previous + 1.0 / (self.info.fps or 25.0)
                if origin is None:
                    origin = stamp
                seconds = max(0.0, stamp - origin)
                previous = stamp
                self.decoded_seconds = max(self.decoded_seconds, seconds)
                if seconds + 1e-6 < next_sample:
                    continue
                if seconds > limits.video_max_seconds:
                    self.cut_short = (
                        f"hashed the first {format_seconds(limits.video_max_seconds)} only "
                        f"(video_max_seconds = {limits.video_max_seconds:g})"
                    )
                    return
                if sampled >= limits.video_max_frames:
                    self.cut_short = (
                        f"hashed the first {format_seconds(seconds)} only "
                        f"(video_max_frames = {limits.video_max_frames})"
                    )
                    return
                _check_pixels(name, frame.width, frame.height, limits)
                sampled += 1
                next_sample = (math.floor(seconds / interval + 1e-6) + 1) * interval
                number = round(seconds * self.info.fps) if self.info.fps else decoded - 1
                yield SampledFrame(number, seconds, _rgb(frame))
        except UnsupportedMedia:
            raise
        except (av.error.FFmpegError, OSError, ValueError, EOFError, MemoryError) as exc:
            raise UnsupportedMedia(f"{name}: cannot decode video ({_reason(exc)})") from None
        if sampled == 0:
            raise UnsupportedMedia(f"{name}: video has no decodable frames")
        self._check_complete()

    def _check_complete(self) -> None:
        promised = self.info.duration
        if promised is None:
            return
        missing = promised - self.decoded_seconds
        slack = max(_TRUNCATED_SHARE * promised, 2 * self.limits.video_frame_interval_seconds)
        if missing > slack:
            raise UnsupportedMedia(
                f"{self.name}: truncated video (frames stop at "
                f"{format_seconds(self.decoded_seconds)} of the {format_seconds(promised)} "
                "its header promises)"
            )

    # -- cleanup ----------------------------------------------------------------------------
    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> FrameSampler:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _open_file(path: Path, *, name: str, limits: HashLimits) -> IO[bytes]:
    """Open ``path`` for streaming, after the size check (``video_max_file_bytes``)."""
    try:
        if path.is_dir():
            raise UnsupportedMedia(f"{name}: is a directory, not a file")
        size = path.stat().st_size
    except OSError as exc:
        raise UnsupportedMedia(f"{name}: cannot read file ({exc.strerror or exc})") from None
    if size > limits.video_max_file_bytes:
        raise FileTooLarge(
            f"{name}: video file is too large ({size:,} bytes; the limit is "
            f"{limits.video_max_file_bytes:,} bytes, video_max_file_bytes)"
        )
    try:
        return path.open("rb")
    except OSError as exc:
        raise UnsupportedMedia(f"{name}: cannot read file ({exc.strerror or exc})") from None


def _check_pixels(name: str, width: int, height: int, limits: HashLimits) -> None:
    """Frames over the pixel limit are a decompression bomb; over ``max_decode_bytes`` (as an RGB
    picture) too large to hold (``hashdb.decoding.check_decoded_size``)."""
    if width * height > limits.max_image_pixels:
        raise UnsupportedMedia(
            f"{name}: refused as a possible decompression bomb (video frames of "
            f"{width}x{height} pixels; the limit is {limits.max_image_pixels:,})"
        )
    check_decoded_size("RGB", width, height, name=name, limits=limits)


def _rgb(frame: av.VideoFrame) -> np.ndarray:
    """The frame as RGB, scaled down to ``HASH_SIDE`` on its long side (never up)."""
    width, height = frame.width, frame.height
    scale = min(1.0, HASH_SIDE / max(width, height, 1))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return frame.reformat(
        width=size[0], height=size[1], format="rgb24", interpolation="AREA"
    ).to_ndarray()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, av.error.FFmpegError) and getattr(exc, "strerror", None):
        text = str(exc.strerror)
    return text or type(exc).__name__
