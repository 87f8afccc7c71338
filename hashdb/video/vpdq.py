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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hashdb.errors import ImportFormatError
from hashdb.formats import json_objects
from hashdb.video.model import (
    VideoHash,
    VideoParseError,
    make_frame,
    ordered,
    parse_frame,
    parse_video,
)

__all__ = [
    "VideoRecord",
    "iter_video_jsonl",
    "read_vpdq",
    "video_jsonl_line",
    "write_vpdq",
]


@dataclass(frozen=True)
class VideoRecord:
    """One video read from JSON lines: its hash and the object's other keys."""

    video: VideoHash
    fields: Mapping[str, Any]


def read_vpdq(
    lines: str | Iterable[str], *, source: str = "<input>", name: str | None = None
) -> VideoHash:
    """A ``VideoHash`` from the per-frame text form; ImportFormatError on the first bad line."""
    text = lines if isinstance(lines, str) else "\n".join(lines)
    try:
        return parse_video(text, name=name or source, lines=True)
    except VideoParseError as exc:
        raise ImportFormatError(exc.reason, line=exc.line or 1, source=source) from None


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


def _text(fields: Mapping[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value.lower() if value is not None and key in ("md5", "sha256") else value


def _video_from_object(obj: Mapping[str, Any]) -> VideoRecord:
    raw_frames = obj.get("frames")
    if not isinstance(raw_frames, list) or not raw_frames:
        raise ValueError('"frames" must be a non-empty list of vPDQ frames')
    frames = []
    for position, item in enumerate(raw_frames):
        try:
            if isinstance(item, str):
                frames.append(parse_frame(item.split(",")))
            elif isinstance(item, dict):
                fields = (item.get(k) for k in ("frame_number", "pdq", "quality", "timestamp"))
                frames.append(make_frame(*fields))
            else:
                raise ValueError("expected a vPDQ line or an object")
        except ValueError as exc:
            raise ValueError(f"frame {position}: {exc}") from None
    video = VideoHash(
        ordered(frames),
        duration=_number(obj, "duration"),
        fps=_number(obj, "fps"),
        md5=_text(obj, "md5"),
        sha256=_text(obj, "sha256"),
        cut_short=_text(obj, "cut_short"),
        name=_text(obj, "name"),
    )
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
