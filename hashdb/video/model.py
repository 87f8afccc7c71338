"""The vPDQ model of a hashed video: one PDQ per sampled frame, with its number, quality and time.

``VideoHash`` is what a video entry holds and what the exchange formats (``hashdb.video.vpdq``)
carry: the frames (``VideoFrameHash``: frame number, PDQ hex, PDQ quality, timestamp in seconds,
as Meta's vPDQ writes them), the video's duration and frame rate when known, the MD5 and SHA-256
of the file when it was hashed from bytes, and ``cut_short`` when hashing stopped before the end
of the video (the configured cap), so nobody mistakes a partial hash for a whole one.

**The stored value** (``VideoHash.to_value`` / ``parse_video``): one line, items separated by
``;``: the known metadata as ``key=value`` (``duration``, ``fps``, ``md5``, ``sha256``, ``cut``,
the last percent-encoded), then one vPDQ line per frame (``frame_number,pdq_hex,quality,
timestamp``), e.g. ``duration=12.000;fps=30.000;0,e271...055c,100,0.000;30,c0f1...,98,1.000``.
Why one line without spaces: a video entry is one entry, and every list format (CSV, text with
``<signal> <value>`` per line, JSON lines) and the change feed carry one value per entry.
``parse_video`` also reads the multi-line vPDQ text of the reference tools (either column order,
``#`` comments).

``prune_frames`` drops a frame that is within ``PRUNE_DISTANCE`` of the last frame kept (vPDQ's
"pruning frames"), so a static shot costs one index row instead of one per second; a frame is
kept at least every ``MAX_SPAN_SECONDS`` all the same, so a matched frame never stands for more
than that much video and the time ranges of a match stay that precise.

Imports nothing of the signal registry (which registers the video signal built on this module),
and no pixels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import quote, unquote

from hashdb.content_hash import PDQ_MIN_QUALITY

__all__ = [
    "FRAME_THRESHOLD",
    "MAX_FRAMES",
    "MAX_SPAN_SECONDS",
    "PRUNE_DISTANCE",
    "FramePruner",
    "VideoFrameHash",
    "VideoHash",
    "VideoParseError",
    "VideoQuery",
    "format_seconds",
    "make_frame",
    "ordered",
    "parse_frame",
    "parse_video",
    "prune_frames",
]

#: a frame within this many bits of the last kept frame is dropped as a repeat. Why 8: consecutive
#: 1-second samples of a static shot re-encoded differ by 0-6 bits (measured on the generated
#: clips, benchmarks/bench_video.py), while any visible motion moves PDQ by more than 10.
PRUNE_DISTANCE = 8
#: a frame is kept at least this often even in a static shot: the precision of reported ranges
MAX_SPAN_SECONDS = 5.0
#: two frames match within this PDQ distance: PDQ's own threshold (``PdqSignal``), as vPDQ uses it
FRAME_THRESHOLD = 31
#: frames one stored value may hold: 27 hours at one a second, or 55 minutes of every frame at 30
MAX_FRAMES = 100_000

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX = {"md5": re.compile(r"^[0-9a-f]{32}$"), "sha256": _HEX64}
_META = ("duration", "fps", "md5", "sha256", "cut")


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


def _check_frame(frame: VideoFrameHash) -> None:
    if not _HEX64.match(frame.pdq):
        raise ValueError(f"frame {frame.frame_number}: PDQ must be 64 lower-case hex digits")
    if not 0 <= frame.quality <= 100:
        raise ValueError(f"frame {frame.frame_number}: quality {frame.quality} is not 0-100")
    if not (math.isfinite(frame.timestamp) and frame.timestamp >= 0):
        raise ValueError(f"frame {frame.frame_number}: timestamp {frame.timestamp} is not >= 0")


@dataclass(frozen=True)
class VideoHash:
    """The vPDQ hash of one video and what is known about the file it came from.

    ``duration`` and ``fps`` come from the container (None when it does not say); ``md5`` and
    ``sha256`` are of the file's bytes (None for a hash imported without them); ``cut_short``
    says why hashing stopped before the end (None when the whole video was hashed). Raises
    ValueError for a malformed frame or field.
    """

    frames: tuple[VideoFrameHash, ...]
    duration: float | None = None
    fps: float | None = None
    md5: str | None = None
    sha256: str | None = None
    cut_short: str | None = None
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for frame in self.frames:
            _check_frame(frame)
        if len(self.frames) > MAX_FRAMES:
            raise ValueError(f"{len(self.frames):,} frames (at most {MAX_FRAMES:,})")
        for label, value in (("duration", self.duration), ("fps", self.fps)):
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{label} must be a finite number >= 0, not {value}")
        for label in ("md5", "sha256"):
            digest = getattr(self, label)
            if digest is not None and not _HEX[label].match(digest):
                raise ValueError(f"{label} must be lower-case hex of the right length")

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

    def to_value(self) -> str:
        """The stored value: metadata then frames, one line (see the module docstring)."""
        items = []
        if self.duration is not None:
            items.append(f"duration={self.duration:.3f}")
        if self.fps is not None:
            items.append(f"fps={self.fps:.3f}")
        for key in ("md5", "sha256"):
            if getattr(self, key) is not None:
                items.append(f"{key}={getattr(self, key)}")
        if self.cut_short is not None:
            items.append(f"cut={quote(self.cut_short, safe='')}")  # no space: the text format
        items += [frame.to_line() for frame in self.frames]
        return ";".join(items)

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


@dataclass(frozen=True)
class VideoQuery:
    """A video to look up: its (pruned) vPDQ hash and, per frame, the values to search."""

    video: VideoHash
    search_values: tuple[tuple[str, ...], ...]

    @classmethod
    def from_hash(cls, video: VideoHash) -> VideoQuery:
        """A query from a hash alone (a posted vPDQ): each frame searches its own PDQ."""
        return cls(video, tuple((frame.pdq,) for frame in video.frames))

    def usable_values(self) -> tuple[str, ...]:
        """Every value of every usable frame, once (what an image index searches for it)."""
        values = (
            value
            for frame, searched in zip(self.video.frames, self.search_values, strict=True)
            if frame.usable
            for value in searched
        )
        return tuple(dict.fromkeys(values))


def _typical_step(frames: Sequence[VideoFrameHash]) -> float:
    """The median gap between frames (1 s when there is only one): a last frame's span."""
    gaps = sorted(b.timestamp - a.timestamp for a, b in zip(frames, frames[1:], strict=False))
    gaps = [g for g in gaps if g > 0]
    return gaps[len(gaps) // 2] if gaps else 1.0


def parse_frame(fields: Sequence[str]) -> VideoFrameHash:
    """A frame from the four fields of a vPDQ line, in either reference order: the Python
    binding's ``frame_number,pdq_hex,quality,timestamp`` or the C++ tool's
    ``frame_number,quality,pdq_hex,timestamp`` (the field with 64 hex digits tells which).
    Raises ValueError saying what is wrong."""
    if len(fields) != 4:
        raise ValueError(
            "expected 4 comma-separated fields (frame_number,pdq_hex,quality,timestamp), "
            f"got {len(fields)}"
        )
    number, second, third, stamp = (f.strip() for f in fields)
    if _HEX64.match(second.lower()):
        pdq, quality = second, third
    elif _HEX64.match(third.lower()):
        pdq, quality = third, second
    else:
        raise ValueError("no 64-hex-digit PDQ hash in the second or third field")
    return make_frame(number, pdq, quality, stamp)


def make_frame(number: object, pdq: object, quality: object, stamp: object) -> VideoFrameHash:
    """A frame from loosely typed fields (text or JSON values); ValueError if one is bad."""
    try:
        frame_number = int(str(number))
    except ValueError:
        raise ValueError(f"frame number {number!r} is not an integer") from None
    if frame_number < 0:
        raise ValueError(f"frame number {frame_number} is negative")
    try:
        value = int(str(quality))
    except ValueError:
        raise ValueError(f"quality {quality!r} is not an integer") from None
    if not 0 <= value <= 100:
        raise ValueError(f"quality {value} is not between 0 and 100")
    try:
        seconds = float(str(stamp))
    except ValueError:
        raise ValueError(f"timestamp {stamp!r} is not a number") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"timestamp {stamp!r} is not a time >= 0")
    text = pdq.strip().lower().removeprefix("0x") if isinstance(pdq, str) else ""
    if not _HEX64.match(text):
        raise ValueError("pdq must be 64 hex digits")
    return VideoFrameHash(frame_number, text, value, seconds)


def ordered(frames: Iterable[VideoFrameHash]) -> tuple[VideoFrameHash, ...]:
    """Frames in time order (then frame number)."""
    return tuple(sorted(frames, key=lambda f: (f.timestamp, f.frame_number)))


class VideoParseError(ValueError):
    """A value or vPDQ text that cannot be read: ``reason``, and ``line`` (1-based) for
    multi-line text or ``item`` (1-based, of the ``;``-separated items) for a stored value."""

    def __init__(self, reason: str, *, line: int | None = None, item: int | None = None) -> None:
        where = f"line {line}: " if line is not None else f"item {item}: " if item else ""
        super().__init__(where + reason)
        self.reason = reason
        self.line = line
        self.item = item


def _metadata(key: str, text: str, numbers: dict[str, float], texts: dict[str, str]) -> None:
    if key not in _META:
        raise ValueError(f"unknown field {key!r} (known: {', '.join(_META)})")
    if key in numbers or key in texts:
        raise ValueError(f"{key} given twice")
    if key in ("duration", "fps"):
        try:
            numbers[key] = float(text)
        except ValueError:
            raise ValueError(f"{key} {text!r} is not a number") from None
    else:
        texts[key] = unquote(text) if key == "cut" else text.lower()


def parse_video(text: str, *, name: str | None = None, lines: bool | None = None) -> VideoHash:
    """A ``VideoHash`` from a stored value or from vPDQ text (``lines``: True for text, False
    for a value, None to tell by the newlines); ``VideoParseError`` naming the bad line (text) or
    item (a value)."""
    multi_line = "\n" in text.strip() if lines is None else lines
    items = text.splitlines() if multi_line else text.split(";")
    frames: list[VideoFrameHash] = []
    numbers: dict[str, float] = {}
    texts: dict[str, str] = {}
    for position, raw in enumerate(items, start=1):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        try:
            if "=" in item and "," not in item:
                key, _, value = item.partition("=")
                _metadata(key.strip().lower(), value.strip(), numbers, texts)
            else:
                frames.append(parse_frame(item.split(",")))
        except ValueError as exc:
            where = {"line": position} if multi_line else {"item": position}
            raise VideoParseError(str(exc), **where) from None
    if not frames:
        raise VideoParseError("no vPDQ frames", line=1 if multi_line else None)
    try:
        return VideoHash(
            ordered(frames),
            duration=numbers.get("duration"),
            fps=numbers.get("fps"),
            md5=texts.get("md5"),
            sha256=texts.get("sha256"),
            cut_short=texts.get("cut"),
            name=name,
        )
    except ValueError as exc:
        raise VideoParseError(str(exc)) from None


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
