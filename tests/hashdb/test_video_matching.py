"""Segment matching and the video index on made-up frame hashes (no decoding): shares both ways,
time ranges, speed changes, excerpts, compilations, the decision rule, removal, per-tag radii,
and a single picture found among stored frames."""

from __future__ import annotations

import random

import pytest

from hashdb.video import (
    VideoFrameHash,
    VideoHash,
    VideoIndex,
    VideoQuery,
    compare_videos,
)
from hashdb.video.segments import MIN_SEGMENT_FRAMES


class Footage:
    """A made-up video: one PDQ per second that drifts a few bits a second within a shot and
    jumps at each cut, as the hashes of real footage do."""

    def __init__(self, seed: int, seconds: int, shot: int = 6) -> None:
        rng = random.Random(seed)
        self.rng = rng
        self.values: list[int] = []
        value = rng.getrandbits(256)
        for second in range(seconds):
            value = rng.getrandbits(256) if second % shot == 0 else self._flip(value, 12)
            self.values.append(value)

    def _flip(self, value: int, bits: int) -> int:
        for bit in self.rng.sample(range(256), bits):
            value ^= 1 << bit
        return value

    def at(self, seconds: float, noise: int = 6) -> str:
        """The hash of the frame shown at ``seconds`` (nearest second), re-encoded."""
        index = min(len(self.values) - 1, max(0, round(seconds)))
        return f"{self._flip(self.values[index], noise):064x}"

    def video(
        self, start: float = 0, end: float | None = None, speed: float = 1.0, noise: int = 0
    ) -> VideoHash:
        """A copy showing ``start``-``end`` of this footage played ``speed`` times as fast,
        sampled once a second."""
        end = len(self.values) if end is None else end
        length = (end - start) / speed
        frames = tuple(
            VideoFrameHash(k, self.at(start + k * speed, noise), 90, float(k))
            for k in range(int(length))
        )
        return VideoHash(frames, duration=length)


def _query(video: VideoHash) -> VideoQuery:
    return VideoQuery.from_hash(video)


def test_whole_copy_matches_with_full_shares_and_one_segment() -> None:
    footage = Footage(1, 60)
    match = compare_videos(footage.video(noise=6), footage.video())
    assert match is not None and match.matched
    assert match.report.query_share == 1.0 and match.report.stored_share == 1.0
    [segment] = match.segments
    assert (segment.query.start, segment.query.end) == (0, 60)
    assert (segment.stored.start, segment.stored.end) == (0, 60)


def test_excerpt_reports_where_it_sits_in_the_stored_video() -> None:
    footage = Footage(2, 300)
    match = compare_videos(footage.video(182, 270, noise=6), footage.video())
    assert match is not None and match.matched
    segment = match.segments[0]
    assert str(segment) == "query 00:00-01:28 <-> stored 03:02-04:30"
    assert match.report.query_share == 1.0
    assert match.report.stored_share == pytest.approx(88 / 300, abs=0.02)  # + neighbours


@pytest.mark.parametrize("speed", [0.75, 1.25, 1.5])
def test_speed_changes_match_and_report_the_pace(speed: float) -> None:
    footage = Footage(3, 120)
    match = compare_videos(footage.video(20, 80, speed=speed, noise=6), footage.video())
    assert match is not None and match.matched
    segment = match.segments[0]
    assert segment.stored.start == pytest.approx(20, abs=1.5)
    assert segment.stored.end == pytest.approx(80, abs=1.5)
    assert segment.query.end == pytest.approx(60 / speed, abs=1.5)
    assert segment.speed == pytest.approx(speed, rel=0.1)


def test_a_compilation_reports_each_excerpt() -> None:
    footage, other = Footage(4, 200), Footage(5, 100)
    parts = [footage.video(10, 40), other.video(0, 30), footage.video(150, 170)]
    frames, offset = [], 0.0
    for part in parts:
        frames += [
            VideoFrameHash(f.frame_number, f.pdq, f.quality, f.timestamp + offset)
            for f in part.frames
        ]
        offset += part.duration or 0
    compilation = VideoHash(tuple(frames), duration=offset)
    match = compare_videos(compilation, footage.video())
    assert match is not None and match.matched
    found = sorted(str(s) for s in match.segments)
    assert found == [
        "query 00:00-00:30 <-> stored 00:10-00:40",
        "query 01:00-01:20 <-> stored 02:30-02:50",
    ]


def test_frames_in_reverse_order_do_not_make_a_segment() -> None:
    footage = Footage(6, 60)
    forward = footage.video()
    frames = tuple(
        VideoFrameHash(k, f.pdq, f.quality, float(k)) for k, f in enumerate(forward.frames[::-1])
    )
    match = compare_videos(VideoHash(frames, duration=60.0), forward)
    assert match is not None
    assert match.report.query_share == 1.0  # every frame is there...
    assert match.report.longest < MIN_SEGMENT_FRAMES  # ... but not in a sane order
    assert match.matched  # the shares still say it is the same footage


def test_a_few_stray_frames_of_a_long_video_are_not_a_match() -> None:
    footage, other = Footage(7, 300), Footage(8, 300)
    frames = list(other.video().frames)
    frames[40] = VideoFrameHash(40, footage.at(100), 90, 40.0)
    frames[200] = VideoFrameHash(200, footage.at(5), 90, 200.0)
    match = compare_videos(VideoHash(tuple(frames), duration=300.0), footage.video())
    assert match is not None and not match.matched
    assert match.report.query_matched == 2


def test_unrelated_videos_share_nothing() -> None:
    assert compare_videos(Footage(9, 120).video(), Footage(10, 120).video()) is None


def test_low_quality_frames_take_no_part() -> None:
    footage = Footage(11, 30)
    flat = VideoHash(
        tuple(
            VideoFrameHash(f.frame_number, f.pdq, 10, f.timestamp) for f in footage.video().frames
        ),
        duration=30.0,
    )
    assert compare_videos(footage.video(), flat) is None


def test_index_finds_the_right_video_among_many_and_forgets_removed_ones() -> None:
    index = VideoIndex()
    library = {k: Footage(100 + k, 90) for k in range(40)}
    for k, footage in library.items():
        assert index.add(k, footage.video(), tag=k % 3) == 90
    assert len(index) == 40 and index.frame_rows == 40 * 90
    query = _query(library[17].video(30, 60, noise=6))
    [found] = index.match(query)
    assert found.video_id == 17 and found.tag == 2 and found.matched
    assert index.remove(17) and not index.remove(17)
    assert index.match(query) == []
    assert index.frame_rows == 39 * 90


def test_index_applies_each_tags_radius() -> None:
    footage = Footage(12, 40)
    index = VideoIndex()
    index.add(1, footage.video(), tag=0)
    index.add(2, footage.video(), tag=1)
    query = _query(footage.video(noise=20))  # every frame 20 bits away
    assert {m.video_id for m in index.match(query)} == {1, 2}
    assert {m.video_id for m in index.match(query, radius_for_tag={1: 16})} == {1}


def test_readding_a_video_replaces_its_frames() -> None:
    index = VideoIndex()
    first, second = Footage(13, 30), Footage(14, 20)
    index.add(5, first.video())
    index.add(5, second.video())
    assert len(index) == 1 and index.frame_rows == 20
    assert index.match(_query(first.video())) == []
    assert index.match(_query(second.video()))[0].video_id == 5


def test_a_picture_finds_the_video_and_the_second_it_came_from() -> None:
    footage = Footage(15, 600)
    index = VideoIndex()
    index.add(9, footage.video())
    index.add(10, Footage(16, 600).video())
    [hit] = index.find_frames([footage.at(437, noise=10)])
    assert (hit.video_id, hit.timestamp, hit.frame_number) == (9, 437.0, 437)
    assert hit.distance <= 10
    assert index.find_frames([Footage(17, 1).at(0)]) == []
