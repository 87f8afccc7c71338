"""Video as a signal: vPDQ hashes of sampled frames, matched by shared segments.

Public surface (``__all__``): the model (``VideoHash``, ``VideoFrameHash``, ``VideoQuery``,
``parse_video``, ``prune_frames``), hashing (``hash_video`` for the stored form, ``query_video``
for a lookup, ``looks_like_video``), the exchange formats (``read_vpdq``, ``write_vpdq``,
``iter_video_jsonl``, ``video_jsonl_line``), matching (``VideoIndex``, ``VideoMatch``,
``Segment``, ``TimeRange``, ``compare_videos``) and the signal type (``VideoPdqSignal``).

Modules: ``model`` (the vPDQ model, the stored value, pruning), ``container`` (hostile files to
sampled frames, streamed), ``boxes`` (where the picture is inside an edited frame), ``frames`` (a
frame's search values), ``hasher`` (files to hashes), ``vpdq`` (text and JSON-lines formats),
``segments`` (shares and time ranges of a match), ``index`` (many stored videos), ``signal``
(the ``vpdq`` signal type and its index). docs/video.md is the manual.

Why decoding and the formats load on first use (``__getattr__``): the signal registry imports
``signal``, and neither PyAV nor the list formats belong in every import of the signal types.
Imports no service and no adapter.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hashdb.video.index import FrameHit, VideoIndex, VideoMatch
from hashdb.video.model import (
    VideoFrameHash,
    VideoHash,
    VideoParseError,
    VideoQuery,
    format_seconds,
    parse_video,
    prune_frames,
)
from hashdb.video.segments import Segment, SegmentReport, TimeRange

if TYPE_CHECKING:
    from hashdb.video.container import FrameSampler, SampledFrame, VideoInfo, looks_like_video
    from hashdb.video.hasher import file_digests, hash_video, query_video
    from hashdb.video.signal import VideoPdqSignal
    from hashdb.video.vpdq import (
        VideoRecord,
        iter_video_jsonl,
        read_vpdq,
        video_jsonl_line,
        write_vpdq,
    )

_LAZY = {
    "FrameSampler": "container",
    "SampledFrame": "container",
    "VideoInfo": "container",
    "looks_like_video": "container",
    "file_digests": "hasher",
    "hash_video": "hasher",
    "query_video": "hasher",
    "VideoPdqSignal": "signal",
    "VideoRecord": "vpdq",
    "iter_video_jsonl": "vpdq",
    "read_vpdq": "vpdq",
    "video_jsonl_line": "vpdq",
    "write_vpdq": "vpdq",
}

__all__ = [
    "FrameHit",
    "FrameSampler",
    "SampledFrame",
    "Segment",
    "SegmentReport",
    "TimeRange",
    "VideoFrameHash",
    "VideoHash",
    "VideoIndex",
    "VideoInfo",
    "VideoMatch",
    "VideoParseError",
    "VideoPdqSignal",
    "VideoQuery",
    "VideoRecord",
    "compare_videos",
    "file_digests",
    "format_seconds",
    "hash_video",
    "iter_video_jsonl",
    "looks_like_video",
    "parse_video",
    "prune_frames",
    "query_video",
    "read_vpdq",
    "video_jsonl_line",
    "write_vpdq",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hashdb.video' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hashdb.video.{module}"), name)


def compare_videos(query: VideoQuery | VideoHash, stored: VideoHash) -> VideoMatch | None:
    """One query against one stored video (None if no frame is close): the pairwise form of
    ``VideoIndex.match``, with the weak result returned too (``matched`` says which)."""
    index = VideoIndex(native=False)
    index.add(0, stored)
    if isinstance(query, VideoHash):
        query = VideoQuery.from_hash(query)
    found = index.match(query, include_weak=True)
    return found[0] if found else None
