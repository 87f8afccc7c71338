"""The video signal type, ``vpdq``: one entry per video, searched by its frames.

An entry's value is the whole vPDQ hash of a video in one line (``hashdb.video.model``: metadata
such as duration, frame rate, MD5 and SHA-256 of the file, then one vPDQ line per frame), so
adding a video adds one entry and removing it removes every frame; the change feed, sync, exports
and the audit log carry it as one entry. Its index (``VideoSignalIndex``) holds every usable
frame of every stored video in one multi-index Hamming table (``hashdb.video.index``) and answers:

- a ``vpdq`` query (a video): the stored videos that share segments with it, as one ``Hit`` per
  video whose ``detail`` has both shares and the matching time ranges in both videos; the
  distance is the closest frame pair's. The list's threshold for ``vpdq`` is the PDQ distance at
  which two frames match (31 by default);
- a ``pdq`` query (a picture: ``answers``): the stored videos holding a frame within the list's
  ``vpdq`` threshold, with that frame's number and time (a screenshot finds the video and the
  second it came from);
- an ``md5`` or ``sha256`` query (``answers``): the stored videos hashed from that very file.

A ``vpdq`` query is also searched in the ``pdq`` index (``searches``), so a video finds the
pictures stored among its frames.

Why ``distance`` (between two stored values) is the closest frame pair: it is what a list's
threshold is compared with; whether two videos match is the segment rule of
``hashdb.video.segments``, which only the index applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from hashdb.content_hash import PDQ_MIN_QUALITY, ContentHash, QueryHash
from hashdb.errors import InvalidHash, LowQualityHash
from hashdb.index import hex_to_words
from hashdb.signals.base import SignalType
from hashdb.signals.index_port import Hit, IndexRow, Rebuildable
from hashdb.video.index import VideoIndex
from hashdb.video.model import (
    FRAME_THRESHOLD,
    VideoHash,
    VideoParseError,
    VideoQuery,
    parse_video,
)
from hashdb.video.text import describe_detail, describe_value

__all__ = ["VideoPdqSignal", "VideoSignalIndex", "video_query_hash"]

#: the detail key of a ``vpdq`` ``QueryHash`` holding its ``VideoQuery`` (frames and their values)
QUERY_DETAIL = "video_query"


def video_query_hash(query: VideoQuery) -> QueryHash:
    """The ``QueryHash`` of a video to look up: its stored form as the hash, every usable frame's
    values as the search values (what an image index searches), the query itself in ``detail``."""
    return QueryHash(
        ContentHash("vpdq", query.video.to_value()),
        query.usable_values(),
        detail={QUERY_DETAIL: query},
    )


def _usable_words(video: VideoHash) -> np.ndarray:
    values = [frame.pdq for frame in video.frames if frame.usable]
    return hex_to_words(values, 256) if values else np.empty((0, 4), np.uint64)


class VideoPdqSignal(SignalType):
    """Meta's vPDQ: a PDQ per sampled frame, matched by shared segments (module docstring)."""

    name = "vpdq"
    aliases: ClassVar[tuple[str, ...]] = ("video_vpdq", "hash_vpdq", "vpdq_hash")
    bits = 256
    default_threshold = FRAME_THRESHOLD
    answers: ClassVar[tuple[str, ...]] = ("pdq", "md5", "sha256")
    searches: ClassVar[tuple[str, ...]] = ("pdq",)
    #: a query's segments are chained per stored video it touches: off the event loop always
    costly_search: ClassVar[bool] = True

    def parse(self, text: str) -> str:
        """A stored value or vPDQ text (either reference column order) to the stored value."""
        if not isinstance(text, str):
            raise InvalidHash(f"vpdq: expected vPDQ text, got {type(text).__name__}")
        try:
            return parse_video(text).to_value()
        except VideoParseError as exc:
            raise InvalidHash(f"vpdq: {exc}") from None

    def summary(self, value: str) -> str:
        """For example "24 frames, 00:24, 15 fps, sha256 3f2a9c0d1e2b4a5f" (``hashdb.video.
        text``): a value holds every frame, ~270 KB of text an hour."""
        return describe_value(value)

    def describe_match(self, detail: Mapping[str, Any] | None) -> str:
        """For example "query 00:00-00:21 <-> stored 00:03-00:24 (95 % of the query, 88 % of
        the stored video)", or "frame at 01:23 (frame 2490)" for a picture."""
        return describe_detail(detail)

    def distance(self, a: str, b: str) -> int:
        """The closest pair of usable frames (256 when either video has none)."""
        first, second = _usable_words(parse_video(a)), _usable_words(parse_video(b))
        best = 256
        for row in first:
            if len(second):
                best = min(best, int(np.bitwise_count(second ^ row).sum(axis=1).min()))
        return best

    def check_stored(self, value: str, *, quality: int | None, allow_low_quality: bool) -> None:
        """Refuses a video without a frame of PDQ quality >= 50 (it could only match flat
        frames of anything) unless the caller allows it."""
        video = parse_video(value)
        if not allow_low_quality and not video.usable_frames:
            raise LowQualityHash(
                f"video hash has no frame of PDQ quality {PDQ_MIN_QUALITY} or more "
                f"({len(video.frames)} frames, all flat or near-blank): it would match nothing "
                "reliably; add it only deliberately (allow_low_quality / --allow-low-quality)"
            )

    def query_hash(self, value: str) -> QueryHash:
        """A posted vPDQ hash (``HashService.match``): each frame searches its own PDQ."""
        return video_query_hash(VideoQuery.from_hash(parse_video(value)))

    def new_index(self) -> VideoSignalIndex:
        return VideoSignalIndex()


class VideoSignalIndex:
    """Every usable frame of every stored video (``hashdb.signals.index_port.SignalIndex``)."""

    def __init__(self) -> None:
        self.videos = VideoIndex(auto_rebuild=False)  # the live index builds the tables

    def __len__(self) -> int:
        return len(self.videos)

    def rows(self) -> int:
        return self.videos.frame_rows

    def add(self, rows: Iterable[IndexRow]) -> None:
        for row in rows:
            self.videos.add(row.entry_id, parse_video(row.value), row.tag)

    def remove(self, entry_ids: Iterable[int]) -> None:
        for entry_id in entry_ids:
            self.videos.remove(entry_id)

    def parts(self) -> Sequence[Rebuildable]:
        return (self.videos.table,)

    def search(
        self, queries: Sequence[QueryHash], limits: Mapping[int, int]
    ) -> list[dict[int, Hit]]:
        return [self._search_one(query, limits) for query in queries]

    def _search_one(self, query: QueryHash, limits: Mapping[int, int]) -> dict[int, Hit]:
        if not limits:
            return {}
        signal = query.hash.signal
        found: dict[int, Hit] = {}
        if signal == "vpdq":
            video = (query.detail or {}).get(QUERY_DETAIL)
            if not isinstance(video, VideoQuery):
                video = VideoQuery.from_hash(parse_video(query.hash.value))
            for match in self.videos.match(video, radius_for_tag=limits, only_tags=True):
                distance = match.report.best_distance
                found[match.video_id] = Hit(
                    match.video_id, match.tag, distance, None, match.detail()
                )
        elif signal in ("md5", "sha256"):
            for value in query.search_values:
                for video_id in self.videos.with_digest(value):
                    tag = self.videos.tag_of(video_id)
                    if tag is not None and tag in limits:
                        found[video_id] = Hit(video_id, tag, 0, None, {"same_file": signal})
        else:  # a picture's PDQ
            hits = self.videos.find_frames(
                query.search_values, radius_for_tag=limits, only_tags=True
            )
            for hit in hits:
                found[hit.video_id] = Hit(hit.video_id, hit.tag, hit.distance, None, hit.to_dict())
        return found
