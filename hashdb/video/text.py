"""Short human-readable summaries of video values and video matches (``VideoPdqSignal.summary``
and ``describe_match``, which every adapter and the audit log use).

A stored ``vpdq`` value holds every frame (an hour of video is ~270 KB of text), so nobody prints
it whole: ``describe_value`` gives its frame count, length, frame rate and the SHA-256 of the value
(which tells values apart, as the local-feature type's summary does); ``describe_detail`` turns a
video match's ``Match.detail`` into "query 00:12-01:40 <-> stored 03:02-04:30 (95 % of the query,
12 % of the stored video)" or, for a picture found among a video's frames, "frame at 01:23".
Pure functions on text and mappings; no adapter imports.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from hashdb.video.model import VideoParseError, format_seconds, parse_video

__all__ = ["describe_detail", "describe_value"]


def describe_value(value: str) -> str:
    """``"24 frames, 00:24, 30 fps, sha256 3f2a9c0d1e2b4a5f"`` for a stored ``vpdq`` value."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    try:
        video = parse_video(value)
    except VideoParseError:
        return f"{value[:40]}... ({len(value):,} characters, sha256 {digest})"
    parts = [f"{len(video.frames)} frames"]
    if video.duration is not None:
        parts.append(format_seconds(video.duration))
    if video.fps is not None:
        parts.append(f"{video.fps:g} fps")
    if video.cut_short:
        parts.append("cut short")
    parts.append(f"sha256 {digest}")
    return ", ".join(parts)


def _share(value: Any) -> str:
    return f"{round(float(value) * 100)} %"


def describe_detail(detail: Mapping[str, Any] | None) -> str:
    """What a video match's ``detail`` says, in one line ("" for anything else)."""
    if not detail:
        return ""
    if "same_file" in detail:
        return f"the very same file ({detail['same_file']})"
    if "time" in detail and "frame_number" in detail:
        return f"frame at {detail['time']} (frame {detail['frame_number']})"
    segments = detail.get("segments")
    if not isinstance(segments, list):
        return ""
    ranges = "; ".join(
        f"query {s['query']['text']} <-> stored {s['stored']['text']}" for s in segments[:3]
    )
    more = f" and {len(segments) - 3} more" if len(segments) > 3 else ""
    shares = (
        f"{_share(detail.get('query_share', 0))} of the query, "
        f"{_share(detail.get('stored_share', 0))} of the stored video"
    )
    return f"{ranges}{more} ({shares})" if ranges else f"({shares})"
