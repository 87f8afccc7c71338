"""vPDQ exchange formats: the per-frame text form (one file per video) and JSON lines (many).

**Text**, one line per frame, as Meta's vPDQ Python binding prints it::

    frame_number,pdq_hex,quality,timestamp_seconds
    0,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,100,0.000

Reading also takes the order of the reference C++ tool (``vpdq-hash-video``:
``frame_number,quality,pdq_hex,timestamp``; the column holding 64 hex digits tells which), blank
lines and ``#`` comments. Frames are sorted by time. Writing uses the first order, timestamps
with three decimals as both reference tools write them.

**JSON lines**, one video per line (blank lines skipped): ``{"name", "md5", "sha256",
"duration", "fps", "cut_short", "frames": [vPDQ line, ...]}`` (frames may also be objects with
``frame_number``, ``pdq``, ``quality``, ``timestamp``). Every other key (``labels``,
``source``...) is handed back untouched for the caller (the service) to read. Parsing is lazy and
per line, like ``hashdb.formats``: one bad video is reported with its line number and the rest
still load.

Errors are ``ImportFormatError`` naming the source and line. Imports no pixels and no service.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hashdb.errors import HashDBError, ImportFormatError
from hashdb.formats import json_objects
from hashdb.signals import get_signal
from hashdb.video.model import VideoFrameHash, VideoHash

__all__ = [
    "VideoRecord",
    "iter_video_jsonl",
    "read_vpdq",
    "video_jsonl_line",
    "write_vpdq",
]

_PDQ_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class VideoRecord:
    """One video read from JSON lines: its hash and the object's other keys."""

    video: VideoHash
    fields: Mapping[str, Any]


def _frame_from_fields(parts: list[str]) -> VideoFrameHash:
    """A frame from the four fields of a line, in either reference order (ValueError if bad)."""
    if len(parts) != 4:
        raise ValueError(
            f"expected 4 comma-separated fields (frame_number,pdq_hex,quality,timestamp), "
            f"got {len(parts)}"
        )
    number, second, third, stamp = (p.strip() for p in parts)
    if _PDQ_HEX.match(second):
        pdq, quality = second, third
    elif _PDQ_HEX.match(third):  # the C++ tool: frame_number,quality,pdq_hex,timestamp
        pdq, quality = third, second
    else:
        raise ValueError("no 64-hex-digit PDQ hash in the second or third field")
    return _frame(number, pdq, quality, stamp)


def _frame(number: object, pdq: object, quality: object, stamp: object) -> VideoFrameHash:
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
    if not isinstance(pdq, str):
        raise ValueError("pdq must be a hex string")
    try:
        hex_value = get_signal("pdq").parse(pdq)
    except HashDBError as exc:
        raise ValueError(str(exc)) from None
    return VideoFrameHash(frame_number, hex_value, value, seconds)


def _ordered(frames: list[VideoFrameHash]) -> tuple[VideoFrameHash, ...]:
    return tuple(sorted(frames, key=lambda f: (f.timestamp, f.frame_number)))


def read_vpdq(
    lines: str | Iterable[str], *, source: str = "<input>", name: str | None = None
) -> VideoHash:
    """A ``VideoHash`` from the per-frame text form; ImportFormatError on the first bad line."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    frames: list[VideoFrameHash] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        try:
            frames.append(_frame_from_fields(text.split(",")))
        except ValueError as exc:
            raise ImportFormatError(str(exc), line=number, source=source) from None
    if not frames:
        raise ImportFormatError("no vPDQ frames in the file", line=1, source=source)
    return VideoHash(_ordered(frames), name=name or source)


def write_vpdq(video: VideoHash) -> Iterator[str]:
    """The per-frame lines of ``video`` (each ending in a newline)."""
    for frame in video.frames:
        yield frame.to_line() + "\n"


def _number(fields: Mapping[str, Any], key: str) -> float | None:
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number")
    return float(value)


def _digest(fields: Mapping[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    try:
        return get_signal(key).parse(value)
    except HashDBError as exc:
        raise ValueError(str(exc)) from None


def _video_from_object(obj: Mapping[str, Any]) -> VideoRecord:
    raw_frames = obj.get("frames")
    if not isinstance(raw_frames, list) or not raw_frames:
        raise ValueError('"frames" must be a non-empty list of vPDQ frames')
    frames = []
    for position, item in enumerate(raw_frames):
        try:
            if isinstance(item, str):
                frames.append(_frame_from_fields(item.split(",")))
            elif isinstance(item, dict):
                frames.append(
                    _frame(
                        item.get("frame_number"),
                        item.get("pdq"),
                        item.get("quality"),
                        item.get("timestamp"),
                    )
                )
            else:
                raise ValueError("expected a vPDQ line or an object")
        except ValueError as exc:
            raise ValueError(f"frame {position}: {exc}") from None
    name = obj.get("name")
    cut_short = obj.get("cut_short")
    if name is not None and not isinstance(name, str):
        raise ValueError("name must be a string")
    if cut_short is not None and not isinstance(cut_short, str):
        raise ValueError("cut_short must be a string")
    try:
        video = VideoHash(
            _ordered(frames),
            duration=_number(obj, "duration"),
            fps=_number(obj, "fps"),
            md5=_digest(obj, "md5"),
            sha256=_digest(obj, "sha256"),
            cut_short=cut_short,
            name=name,
        )
    except HashDBError as exc:
        raise ValueError(str(exc)) from None
    known = {"name", "md5", "sha256", "duration", "fps", "cut_short", "frames"}
    return VideoRecord(video, {k: v for k, v in obj.items() if k not in known})


def iter_video_jsonl(
    lines: Iterable[str], *, source: str = "<input>"
) -> Iterator[tuple[int, VideoRecord | ImportFormatError]]:
    """``(line number, record or error)`` per non-blank line of a JSON-lines file of videos."""
    for number, obj in json_objects(lines, source):
        if isinstance(obj, ImportFormatError):
            yield number, obj
            continue
        try:
            yield number, _video_from_object(obj)
        except ValueError as exc:
            yield number, ImportFormatError(str(exc), line=number, source=source)


def video_jsonl_line(video: VideoHash, **fields: Any) -> str:
    """One JSON line for ``video``, with ``fields`` (labels, source...) added to the object
    (a field named like one of the video's own keys is left out)."""
    out = video.to_dict()
    out.update({key: value for key, value in fields.items() if key not in out})
    return json.dumps(out, separators=(",", ":")) + "\n"
