"""Many stored videos, searched by a query video or by a single picture.

``VideoIndex`` holds the usable frames (quality >= 50) of every stored video in one exact
``HammingIndex`` (row id = video id << ``FRAME_BITS`` | frame position, so a video's rows are
found and removed together), plus each video's frame spans. A query:

1. searches every value of every usable query frame at the largest radius in one batch (the
   pigeonhole index answers a 60-second query against ten thousand videos in milliseconds);
2. groups the hits by stored video, keeps each (query frame, stored frame) pair once at its
   smallest distance, drops pairs beyond the video's own radius (a per-list threshold: the tag);
3. hands each video's pairs to ``hashdb.video.segments`` for shares, segments and the decision.

This is vPDQ's "pruning candidates" step with an exact index instead of FAISS: nothing within the
radius is missed, and only videos with at least one close frame are compared at all.

``find_frames`` answers the other direction: a single picture (a screenshot of a video) against
every stored frame, with the second it came from.

No pixels, no database: the service feeds it ``VideoHash`` values and keeps it in step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hashdb.errors import InvalidArgument
from hashdb.index import HammingIndex
from hashdb.video.model import FRAME_THRESHOLD, VideoHash, VideoQuery, format_seconds
from hashdb.video.segments import Pairs, Segment, SegmentReport, Spans, analyse, decide, spans_of

__all__ = ["FRAME_BITS", "FrameHit", "VideoIndex", "VideoMatch"]

#: low bits of a row id holding the frame's position in its video (16.7 million frames a video)
FRAME_BITS = 24
_FRAME_MASK = (1 << FRAME_BITS) - 1


@dataclass(frozen=True)
class VideoMatch:
    """One stored video a query matched (or came near, with ``include_weak``).

    ``video_id`` is the stored video's id (an entry id), ``tag`` what it was added with (a list);
    the rest is ``hashdb.video.segments.SegmentReport``'s, with ``matched`` its decision.
    """

    video_id: int
    tag: int
    matched: bool
    report: SegmentReport

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.report.segments

    def to_dict(self) -> dict[str, object]:
        return {"video_id": self.video_id, **self.detail()}

    def detail(self) -> dict[str, object]:
        """The match as JSON-ready fields (a ``Match.detail`` of the service): the decision,
        both shares with their counts, the closest frame pair, the segments."""
        report = self.report
        return {
            "matched": self.matched,
            "query_share": round(report.query_share, 4),
            "stored_share": round(report.stored_share, 4),
            "query_frames_matched": report.query_matched,
            "query_frames": report.query_frames,
            "stored_frames_matched": report.stored_matched,
            "stored_frames": report.stored_frames,
            "best_distance": report.best_distance,
            "segments": [segment.to_dict() for segment in report.segments],
        }


@dataclass(frozen=True)
class FrameHit:
    """The stored frame closest to a picture, in one stored video."""

    video_id: int
    tag: int
    frame_number: int
    timestamp: float
    distance: int

    def to_dict(self) -> dict[str, object]:
        """Where the picture is in the video (a ``Match.detail`` of the service)."""
        return {
            "frame_number": self.frame_number,
            "timestamp": round(self.timestamp, 3),
            "time": format_seconds(self.timestamp),
        }


@dataclass
class _Stored:
    tag: int
    spans: Spans
    frame_numbers: np.ndarray
    digests: tuple[str, ...]


class VideoIndex:
    """Stored videos by id; ``match`` a ``VideoQuery``, ``find_frames`` a picture's values."""

    def __init__(self, *, native: bool = True, auto_rebuild: bool = True) -> None:
        """``auto_rebuild=False``: searches never rebuild the frame tables; the owner does (the
        service's live index, in the background: ``table``)."""
        self._frames = HammingIndex(256, native=native, auto_rebuild=auto_rebuild)
        self._videos: dict[int, _Stored] = {}
        self._digests: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self._videos)

    def __contains__(self, video_id: object) -> bool:
        return video_id in self._videos

    @property
    def frame_rows(self) -> int:
        """Indexed frames (usable ones) across every stored video."""
        return len(self._frames)

    @property
    def table(self) -> HammingIndex:
        """The frames' multi-index tables (to build in the background)."""
        return self._frames

    def add(self, video_id: int, video: VideoHash, tag: int = 0) -> int:
        """Index ``video`` under ``video_id`` (replacing what it held); returns rows added."""
        if video_id < 0 or video_id >= 1 << (63 - FRAME_BITS):
            raise InvalidArgument(f"video id {video_id} is out of range")
        if len(video.frames) > _FRAME_MASK:
            raise InvalidArgument(f"video {video_id}: more than {_FRAME_MASK:,} frames")
        self.remove(video_id)
        frames = video.frames
        usable = [frame.usable for frame in frames]
        spans = spans_of([frame.timestamp for frame in frames], video.end, usable)
        numbers = np.asarray([frame.frame_number for frame in frames], np.int64)
        digests = tuple(d for d in (video.md5, video.sha256) if d)
        self._videos[video_id] = _Stored(tag, spans, numbers, digests)
        for digest in digests:
            self._digests.setdefault(digest, set()).add(video_id)
        positions = [k for k, ok in enumerate(usable) if ok]
        base = video_id << FRAME_BITS
        self._frames.add(
            [base | k for k in positions],
            [frames[k].pdq for k in positions],
            [tag] * len(positions),
        )
        return len(positions)

    def remove(self, video_id: int) -> bool:
        """Forget ``video_id`` and all its frames; False if it was not there."""
        stored = self._videos.pop(video_id, None)
        if stored is None:
            return False
        for digest in stored.digests:
            holders = self._digests.get(digest, set())
            holders.discard(video_id)
            if not holders:
                self._digests.pop(digest, None)
        base = video_id << FRAME_BITS
        rows = np.nonzero(stored.spans.usable)[0]
        self._frames.remove(int(base | int(k)) for k in rows)
        return True

    def tag_of(self, video_id: int) -> int | None:
        stored = self._videos.get(video_id)
        return None if stored is None else stored.tag

    def with_digest(self, digest: str) -> list[int]:
        """Stored videos whose file had this MD5 or SHA-256 (lower-case hex)."""
        return sorted(self._digests.get(digest, ()))

    # -- search -----------------------------------------------------------------------------
    def _search(
        self, values: Sequence[str], owners: Sequence[int], radius: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(owner, video id, frame position, distance) of every hit of every value."""
        results = self._frames.query_many(list(values), radius)
        counts = np.fromiter((len(r[0]) for r in results), np.int64, len(results))
        if not counts.sum():
            empty = np.empty(0, np.int64)
            return empty, empty, empty, empty
        ids = np.concatenate([r[0] for r in results]).astype(np.int64)
        dist = np.concatenate([r[1] for r in results]).astype(np.int64)
        owner = np.repeat(np.asarray(owners, np.int64), counts)
        return owner, ids >> FRAME_BITS, ids & _FRAME_MASK, dist

    def match(
        self,
        query: VideoQuery,
        *,
        radius: int = FRAME_THRESHOLD,
        radius_for_tag: Mapping[int, int] | None = None,
        only_tags: bool = False,
        include_weak: bool = False,
    ) -> list[VideoMatch]:
        """Stored videos matching ``query``, best first (longest segment, then shares).

        Frames match within ``radius`` (PDQ's 31 by default) or the tag's own radius in
        ``radius_for_tag``; with ``only_tags`` videos of other tags are left out (lists not
        searched). ``include_weak`` also returns videos with close frames that do not make a
        match (for diagnostics and the benchmark's threshold measurements).
        """
        default = radius
        per_tag = dict(radius_for_tag or {})
        widest = (
            max([default, *per_tag.values()])
            if not only_tags
            else max(per_tag.values(), default=-1)
        )
        if widest < 0:
            return []
        frames = query.video.frames
        values: list[str] = []
        owners: list[int] = []
        for k, (frame, searched) in enumerate(zip(frames, query.search_values, strict=True)):
            if frame.usable:
                values += searched
                owners += [k] * len(searched)
        if not values or not self._videos:
            return []
        owner, video, position, dist = self._search(values, owners, widest)
        query_spans = spans_of(
            [f.timestamp for f in frames], query.video.end, [f.usable for f in frames]
        )
        out = []
        order = np.argsort(video, kind="stable")
        video, owner, position, dist = video[order], owner[order], position[order], dist[order]
        bounds = np.flatnonzero(np.diff(video)) + 1
        for start, stop in zip([0, *bounds], [*bounds, len(video)], strict=True):
            if start == stop:
                continue
            video_id = int(video[start])
            stored = self._videos.get(video_id)
            if stored is None or (only_tags and stored.tag not in per_tag):
                continue
            limit = per_tag.get(stored.tag, default)
            pairs = _unique_pairs(owner[start:stop], position[start:stop], dist[start:stop], limit)
            if not len(pairs.q):
                continue
            report = analyse(pairs, query_spans, stored.spans)
            matched = decide(report)
            if matched or include_weak:
                out.append(VideoMatch(video_id, stored.tag, matched, report))
        out.sort(
            key=lambda m: (
                not m.matched,
                -m.report.longest,
                -(m.report.query_share + m.report.stored_share),
                m.video_id,
            )
        )
        return out

    def find_frames(
        self,
        values: Sequence[str],
        *,
        radius: int = FRAME_THRESHOLD,
        radius_for_tag: Mapping[int, int] | None = None,
        only_tags: bool = False,
    ) -> list[FrameHit]:
        """For a picture's search values: the closest stored frame of every video within
        ``radius`` (PDQ's 31 by default; per tag and ``only_tags`` as in ``match``), closest
        first."""
        per_tag = dict(radius_for_tag or {})
        widest = (
            max(per_tag.values(), default=-1) if only_tags else max([radius, *per_tag.values()])
        )
        if not values or not self._videos or widest < 0:
            return []
        _, video, position, dist = self._search(values, [0] * len(values), widest)
        best: dict[int, tuple[int, int]] = {}
        for v, k, d in zip(video.tolist(), position.tolist(), dist.tolist(), strict=True):
            stored = self._videos.get(v)
            if stored is None or (only_tags and stored.tag not in per_tag):
                continue
            if d <= per_tag.get(stored.tag, radius) and (v not in best or d < best[v][1]):
                best[v] = (k, d)
        hits = []
        for video_id, (k, d) in best.items():
            stored = self._videos[video_id]
            hits.append(
                FrameHit(
                    video_id,
                    stored.tag,
                    int(stored.frame_numbers[k]),
                    float(stored.spans.starts[k]),
                    d,
                )
            )
        hits.sort(key=lambda hit: (hit.distance, hit.video_id))
        return hits

    def memory_bytes(self) -> int:
        """Rough bytes held: the frame index and the spans."""
        spans = sum(
            s.spans.starts.nbytes * 2 + s.spans.usable.nbytes + s.frame_numbers.nbytes
            for s in self._videos.values()
        )
        return int(self._frames.memory_bytes()) + spans


def _widest(radius: int, per_tag: Mapping[int, int], only_tags: bool) -> int:
    """The radius to search at: the largest that any searched video may use (-1: none)."""
    if only_tags:
        return max(per_tag.values(), default=-1)
    return max([radius, *per_tag.values()])


def _unique_pairs(q: np.ndarray, s: np.ndarray, d: np.ndarray, limit: int) -> Pairs:
    """Each (q, s) pair once at its smallest distance, within ``limit``."""
    keep = d <= limit
    q, s, d = q[keep], s[keep], d[keep]
    if not len(q):
        return Pairs(q, s, d)
    order = np.lexsort((d, s, q))
    q, s, d = q[order], s[order], d[order]
    first = np.ones(len(q), bool)
    first[1:] = (q[1:] != q[:-1]) | (s[1:] != s[:-1])
    return Pairs(q[first], s[first], d[first])
