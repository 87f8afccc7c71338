"""Video as a signal: vPDQ hashes of sampled frames, matched by shared segments.

Public surface (``__all__``): the model (``VideoHash``, ``VideoFrameHash``, ``prune_frames``),
hashing (``hash_video`` for the stored form, ``query_video`` for a lookup, ``VideoQuery``,
``looks_like_video``), the exchange formats (``read_vpdq``, ``write_vpdq``, ``iter_video_jsonl``,
``video_jsonl_line``), and matching (``VideoIndex``, ``VideoMatch``, ``Segment``, ``TimeRange``,
``compare_videos``).

Modules: ``model`` (the vPDQ model, pruning), ``container`` (hostile files to sampled frames,
streamed), ``boxes`` (where the picture is inside an edited frame), ``frames`` (a frame's search
values), ``hasher`` (files to hashes), ``vpdq`` (text and JSON-lines formats), ``segments``
(shares and time ranges of a match), ``index`` (many stored videos). docs/video.md is the manual.
Imports no service and no adapter.
"""

from __future__ import annotations

from hashdb.video.container import FrameSampler, SampledFrame, VideoInfo, looks_like_video
from hashdb.video.hasher import (
    VideoQuery,
    file_digests,
    hash_video,
    query_video,
    video_frame_hashes,
)
from hashdb.video.index import FrameHit, VideoIndex, VideoMatch
from hashdb.video.model import VideoFrameHash, VideoHash, format_seconds, prune_frames
from hashdb.video.segments import Segment, SegmentReport, TimeRange
from hashdb.video.vpdq import (
    VideoRecord,
    iter_video_jsonl,
    read_vpdq,
    video_jsonl_line,
    write_vpdq,
)

__all__ = [
    "FrameHit",
    "FrameSampler",
    "Segment",
    "SegmentReport",
    "TimeRange",
    "SampledFrame",
    "VideoFrameHash",
    "VideoHash",
    "VideoIndex",
    "VideoInfo",
    "VideoMatch",
    "VideoQuery",
    "VideoRecord",
    "compare_videos",
    "file_digests",
    "format_seconds",
    "hash_video",
    "iter_video_jsonl",
    "looks_like_video",
    "prune_frames",
    "query_video",
    "read_vpdq",
    "video_frame_hashes",
    "video_jsonl_line",
    "write_vpdq",
]


def compare_videos(query: VideoQuery | VideoHash, stored: VideoHash) -> VideoMatch | None:
    """One query against one stored video (None if no frame is close): the pairwise form of
    ``VideoIndex.match``, with the weak result returned too (``matched`` says which)."""
    index = VideoIndex(native=False)
    index.add(0, stored)
    if isinstance(query, VideoHash):
        query = VideoQuery.from_hash(query)
    found = index.match(query, include_weak=True)
    return found[0] if found else None
