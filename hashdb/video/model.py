"""The vPDQ model of a hashed video: one PDQ per sampled frame, with its number, quality and time.

``VideoHash`` is what a video entry holds and what the exchange formats (``hashdb.video.vpdq``)
carry: the frames (``VideoFrameHash``: frame number, PDQ hex, PDQ quality, timestamp in seconds,
as Meta's vPDQ writes them), the video's duration and frame rate when known, the MD5 and SHA-256
of the file when it was hashed from bytes, and ``cut_short`` when hashing stopped before the end
of the video (the configured cap), so nobody mistakes a partial hash for a whole one.

``prune_frames`` drops a frame that is within ``PRUNE_DISTANCE`` of the last frame kept (vPDQ's
"pruning frames"), so a static shot costs one index row instead of one per second; a frame is
kept at least every ``MAX_SPAN_SECONDS`` all the same, so a matched frame never stands for more
than that much video and the time ranges of a match stay that precise.

Imports nothing but the signal types; no pixels here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from hashdb.errors import InvalidHash
from hashdb.signals import PDQ_MIN_QUALITY, get_signal

__all__ = [
    "MAX_SPAN_SECONDS",
    "FramePruner",
    "PRUNE_DISTANCE",
    "VideoFrameHash",
    "VideoHash",
    "format_seconds",
    "prune_frames",
]

#: a frame within this many bits of the last kept frame is dropped as a repeat. Why 8: consecutive
#: 1-second samples of a static shot re-encoded differ by 0-6 bits (measured on the generated
#: clips, benchmarks/bench_video.py), while any visible motion moves PDQ by more than 10.
PRUNE_DISTANCE = 8
#: a frame is kept at least this often even in a static shot: the precision of reported ranges
MAX_SPAN_SECONDS = 5.0


@dataclass(frozen=True)
class VideoFrameHash:
    """One sampled frame: ``frame_number`` in the stream (0-based), its PDQ (64 hex digits),
    PDQ's quality (0-100) and its ``timestamp`` in seconds from the start of the video."""

    frame_number: int
    pdq: str
    quality: int
    timestamp: float

    @property
    def usable(self) -> bool:
        """Good enough to match on: flat frames (black, fades, titles) match anything flat, so
        they take no part in matching (vPDQ's quality filter, at PDQ's own minimum of 50)."""
        return self.quality >= PDQ_MIN_QUALITY

    def to_line(self) -> str:
        """The vPDQ per-frame line: ``frame_number,pdq_hex,quality,timestamp_seconds``."""
        return f"{self.frame_number},{self.pdq},{self.quality},{self.timestamp:.3f}"


@dataclass(frozen=True)
class VideoHash:
    """The vPDQ hash of one video and what is known about the file it came from.

    ``duration`` and ``fps`` come from the container (None when it does not say); ``md5`` and
    ``sha256`` are of the file's bytes (None for a hash imported without them); ``cut_short``
    says why hashing stopped before the end (None when the whole video was hashed).
    """

    frames: tuple[VideoFrameHash, ...]
    duration: float | None = None
    fps: float | None = None
    md5: str | None = None
    sha256: str | None = None
    cut_short: str | None = None
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        pdq = get_signal("pdq")
        for frame in self.frames:
            if pdq.parse(frame.pdq) != frame.pdq:
                raise InvalidHash(f"vPDQ frame {frame.frame_number}: write the PDQ in lower case")
            if not 0 <= frame.quality <= 100:
                raise InvalidHash(f"vPDQ frame {frame.frame_number}: quality {frame.quality}")
            if not (math.isfinite(frame.timestamp) and frame.timestamp >= 0):
                raise InvalidHash(f"vPDQ frame {frame.frame_number}: timestamp {frame.timestamp}")
        for label, value in (("duration", self.duration), ("fps", self.fps)):
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise InvalidHash(f"video {label} must be a finite number >= 0, not {value}")

    @property
    def usable_frames(self) -> int:
        return sum(frame.usable for frame in self.frames)

    @property
    def end(self) -> float:
        """Where the hashed video ends: its duration, else the last frame's time (plus one
        interval's worth, guessed from the frames), so the last frame has a span too."""
        if self.duration:
            return self.duration
        if not self.frames:
            return 0.0
        return self.frames[-1].timestamp + _typical_step(self.frames)

    def with_digests(self, md5: str, sha256: str) -> VideoHash:
        return replace(self, md5=md5, sha256=sha256)

    def to_dict(self) -> dict[str, object]:
        """The JSON form (one line of the JSON-lines export): frames as vPDQ lines."""
        out: dict[str, object] = {}
        if self.name is not None:
            out["name"] = self.name
        for key in ("md5", "sha256", "duration", "fps", "cut_short"):
            value = getattr(self, key)
            if value is not None:
                out[key] = round(value, 3) if isinstance(value, float) else value
        out["frames"] = [frame.to_line() for frame in self.frames]
        return out


def _typical_step(frames: Sequence[VideoFrameHash]) -> float:
    """The median gap between frames (1 s when there is only one): a last frame's span."""
    gaps = sorted(b.timestamp - a.timestamp for a, b in zip(frames, frames[1:], strict=False))
    gaps = [g for g in gaps if g > 0]
    return gaps[len(gaps) // 2] if gaps else 1.0


class FramePruner:
    """``prune_frames`` one frame at a time (for hashing that prunes as frames come)."""

    def __init__(self, distance: int = PRUNE_DISTANCE, max_span: float = MAX_SPAN_SECONDS) -> None:
        self.distance = distance
        self.max_span = max_span
        self._bits: int | None = None
        self._time = 0.0

    def keep(self, frame: VideoFrameHash) -> bool:
        """Whether ``frame`` is kept (and becomes the frame the next ones are compared with)."""
        bits = int(frame.pdq, 16)
        if self._bits is not None:
            close = (bits ^ self._bits).bit_count() <= self.distance
            if close and frame.timestamp - self._time < self.max_span:
                return False
        self._bits, self._time = bits, frame.timestamp
        return True


def prune_frames(
    frames: Iterable[VideoFrameHash],
    *,
    distance: int = PRUNE_DISTANCE,
    max_span: float = MAX_SPAN_SECONDS,
) -> list[VideoFrameHash]:
    """Drop frames within ``distance`` of the last kept frame, keeping one every ``max_span``
    seconds all the same. Idempotent: pruning a pruned list keeps every frame."""
    pruner = FramePruner(distance, max_span)
    return [frame for frame in frames if pruner.keep(frame)]


def format_seconds(seconds: float) -> str:
    """``75.4`` -> ``"01:15"``; an hour or more -> ``"1:02:03"`` (whole seconds, rounded down)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
