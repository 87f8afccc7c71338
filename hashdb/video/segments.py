"""How much of two videos match, and where: shares both ways and matching time ranges.

Given the frame pairs within the PDQ threshold between a query video and one stored video, this
module computes what vPDQ reports and what a responder needs next:

- **shares**, as Meta's vPDQ matcher counts them: the share of the query's usable frames
  (quality >= 50) that have a stored frame within the threshold (``query_share``), and the share
  of the stored video's usable frames that have a query frame within it (``stored_share``);
- **segments**: runs of matched frames in the same order in both videos, at a plausible relative
  speed, as time ranges in both (``query 00:12-01:40 <-> stored 03:02-04:30``). A segment is the
  best chain of frame pairs (dynamic programming over the pairs sorted by query time), where each
  step moves forward in the query by at most ``MAX_GAP_SECONDS`` and forward in the stored video
  at between ``MIN_SPEED`` and ``MAX_SPEED`` times the query's pace, give or take the span of the
  frames (a frame kept after pruning stands for the frames dropped after it: a static shot is one
  frame with a long span) and ``TOLERANCE_SECONDS`` of sampling jitter. Several segments are
  reported when the query holds several excerpts (a compilation);
- **the decision** (``decide``): a match when the strongest segment pairs at least
  ``MIN_SEGMENT_FRAMES`` distinct frames on both sides, or when either share reaches
  ``MIN_SHARE`` with at least two matched frames (one, for a video of one usable frame). Why
  not vPDQ's "80 % of the stored video": an excerpt of 30 seconds from a 17-minute stream covers
  3 % of it, and finding such excerpts is the point; and why not one frame: unrelated videos
  share single frames (black frames are filtered by quality, but station idents, logos and
  stock shots are not), while a chain of frames in the same order at a sane speed does not
  happen by chance. The thresholds are measured in benchmarks/bench_video.py (docs/video.md has
  the table).

Pure functions on numpy arrays; no index, no pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hashdb.video.model import format_seconds

__all__ = [
    "MAX_GAP_SECONDS",
    "MAX_SEGMENTS",
    "MAX_SPEED",
    "MIN_SEGMENT_FRAMES",
    "MIN_SHARE",
    "MIN_SPEED",
    "PAIRS_PER_FRAME",
    "TOLERANCE_SECONDS",
    "Pairs",
    "Segment",
    "SegmentReport",
    "Spans",
    "TimeRange",
    "analyse",
    "decide",
]

MIN_SPEED = 0.5
MAX_SPEED = 2.0
MAX_GAP_SECONDS = 12.0
TOLERANCE_SECONDS = 1.0
MIN_SEGMENT_FRAMES = 3
MIN_SHARE = 0.5
MAX_SEGMENTS = 8
#: stored frames kept per query frame (the closest): bounds the chaining work on static content
PAIRS_PER_FRAME = 4
#: a frame's worth in a chain's score, less its distance: more frames always win
_STEP = 1000.0


@dataclass(frozen=True)
class TimeRange:
    """``[start, end)`` in seconds from the start of a video."""

    start: float
    end: float

    def __str__(self) -> str:
        return f"{format_seconds(self.start)}-{format_seconds(self.end)}"

    def to_dict(self) -> dict[str, object]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "text": str(self)}


@dataclass(frozen=True)
class Segment:
    """A run of matching frames: where it is in both videos, how many distinct query and stored
    frames it pairs, and the stored video's pace relative to the query's (1.25: the query
    plays 1.25x slower)."""

    query: TimeRange
    stored: TimeRange
    frames: int
    stored_frames: int
    speed: float | None

    @property
    def strength(self) -> int:
        """Frames on the thinner side: many query frames on one stored frame prove little."""
        return min(self.frames, self.stored_frames)

    def __str__(self) -> str:
        return f"query {self.query} <-> stored {self.stored}"

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "query": self.query.to_dict(),
            "stored": self.stored.to_dict(),
            "frames": self.frames,
            "stored_frames": self.stored_frames,
        }
        if self.speed is not None:
            out["speed"] = round(self.speed, 3)
        return out


@dataclass(frozen=True)
class Spans:
    """Frames of one video as spans: ``starts[k]``-``stops[k]`` (seconds), ``usable[k]``."""

    starts: np.ndarray
    stops: np.ndarray
    usable: np.ndarray

    @property
    def usable_count(self) -> int:
        return int(self.usable.sum())


@dataclass(frozen=True)
class Pairs:
    """Frame pairs within the threshold: query frame ``q[k]``, stored frame ``s[k]``, distance
    ``d[k]`` (each pair once)."""

    q: np.ndarray
    s: np.ndarray
    d: np.ndarray


@dataclass(frozen=True)
class SegmentReport:
    """Shares, counts and segments (longest first) of one query against one stored video."""

    query_share: float
    stored_share: float
    query_matched: int
    query_frames: int
    stored_matched: int
    stored_frames: int
    best_distance: int
    segments: tuple[Segment, ...]

    @property
    def longest(self) -> int:
        """The strongest segment's ``strength`` (0 without any)."""
        return max((segment.strength for segment in self.segments), default=0)


def _closest_per_query_frame(pairs: Pairs) -> Pairs:
    """At most ``PAIRS_PER_FRAME`` pairs per query frame, the closest, sorted by (q, s)."""
    order = np.lexsort((pairs.s, pairs.d, pairs.q))
    q, s, d = pairs.q[order], pairs.s[order], pairs.d[order]
    first = np.searchsorted(q, q, side="left")
    keep = (np.arange(len(q)) - first) < PAIRS_PER_FRAME
    q, s, d = q[keep], s[keep], d[keep]
    order = np.lexsort((s, q))
    return Pairs(q[order], s[order], d[order])


def _chain(
    q: np.ndarray,
    s: np.ndarray,
    qa: np.ndarray,
    qb: np.ndarray,
    sa: np.ndarray,
    sb: np.ndarray,
    d: np.ndarray,
    alive: np.ndarray,
) -> list[int]:
    """Node indices of the best chain among ``alive`` nodes (sorted by query frame): the most
    frames, then the smallest sum of distances (a frame drifts little from its neighbours, so a
    frame matches the stored frames around the right one too; the closest chain is the right
    one)."""
    count = len(q)
    score = np.zeros(count, np.float64)
    back = np.full(count, -1, np.int64)
    best_node, best_score = -1, 0.0
    start = 0
    for n in range(count):
        if not alive[n]:
            continue
        while qa[n] - qa[start] > MAX_GAP_SECONDS:
            start += 1
        lo = start
        hi = int(np.searchsorted(q, q[n], side="left"))  # predecessors: earlier query frames
        chosen, chosen_score = -1, 0.0
        if hi > lo:
            m = np.arange(lo, hi)
            m = m[alive[m]]
            dq_lo = np.maximum(0.0, qa[n] - qb[m])
            dq_hi = qb[n] - qa[m]
            ds_lo = sa[n] - sb[m]
            ds_hi = sb[n] - sa[m]
            ok = (
                (s[m] <= s[n])
                & (ds_hi >= MIN_SPEED * dq_lo - TOLERANCE_SECONDS)
                & (ds_lo <= MAX_SPEED * dq_hi + TOLERANCE_SECONDS)
            )
            if ok.any():
                candidates = m[ok]
                chosen = int(candidates[np.argmax(score[candidates])])
                chosen_score = float(score[chosen])
        score[n] = chosen_score + _STEP - d[n]
        back[n] = chosen
        if score[n] > best_score:
            best_node, best_score = n, float(score[n])
    chain = []
    node = best_node
    while node >= 0:
        chain.append(node)
        node = int(back[node])
    return chain[::-1]


def analyse(pairs: Pairs, query: Spans, stored: Spans) -> SegmentReport:
    """Shares and segments of one query against one stored video, from their frame pairs."""
    query_matched = len(np.unique(pairs.q))
    stored_matched = len(np.unique(pairs.s))
    best = int(pairs.d.min()) if len(pairs.d) else 256
    segments: list[Segment] = []
    if len(pairs.q):
        near = _closest_per_query_frame(pairs)
        q, s = near.q, near.s
        qa, qb = query.starts[q], query.stops[q]
        sa, sb = stored.starts[s], stored.stops[s]
        alive = np.ones(len(q), bool)
        while alive.any() and len(segments) < MAX_SEGMENTS:
            chain = _chain(q, s, qa, qb, sa, sb, near.d, alive)
            if not chain:
                break
            frames = len(chain)
            if segments and frames < 2:
                break
            first, last = chain[0], chain[-1]
            query_range = TimeRange(float(qa[first]), float(qb[last]))
            stored_range = TimeRange(float(sa[chain].min()), float(sb[chain].max()))
            span = query_range.end - query_range.start
            speed = (stored_range.end - stored_range.start) / span if frames > 1 else None
            stored_frames = len(np.unique(s[chain]))
            segments.append(Segment(query_range, stored_range, frames, stored_frames, speed))
            alive &= (q < q[first]) | (q > q[last])
    segments.sort(key=lambda seg: (-seg.strength, seg.query.start))
    return SegmentReport(
        query_share=query_matched / max(1, query.usable_count),
        stored_share=stored_matched / max(1, stored.usable_count),
        query_matched=query_matched,
        query_frames=query.usable_count,
        stored_matched=stored_matched,
        stored_frames=stored.usable_count,
        best_distance=best,
        segments=tuple(segments),
    )


def decide(report: SegmentReport) -> bool:
    """Whether ``report`` is a match (the rule in the module docstring)."""
    if report.longest >= MIN_SEGMENT_FRAMES:
        return True
    enough_query = report.query_matched >= min(2, report.query_frames)
    enough_stored = report.stored_matched >= min(2, report.stored_frames)
    return (report.query_share >= MIN_SHARE and enough_query) or (
        report.stored_share >= MIN_SHARE and enough_stored
    )


def spans_of(starts: Sequence[float], end: float, usable: Sequence[bool]) -> Spans:
    """``Spans`` of frames starting at ``starts`` in a video ending at ``end``."""
    begin = np.asarray(starts, np.float64)
    stops = np.empty_like(begin)
    if len(begin):
        stops[:-1] = begin[1:]
        stops[-1] = max(end, begin[-1])
    return Spans(begin, np.maximum(stops, begin), np.asarray(usable, bool))
