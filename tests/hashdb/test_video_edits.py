"""Edited copies of a clip made from real photos match it, with the right time ranges; unrelated
clips match nothing. The clips are small (320x180, 15 frames a second) to keep the suite fast;
benchmarks/bench_video.py measures the same families on larger clips."""

from __future__ import annotations

import pytest

from hashdb.video import VideoIndex, hash_video, query_video
from tests.hashdb.video_clips import CLIPS, EDITS, MORE_EDITS, OTHER_CLIPS, Edit, make_clip

#: seconds a reported range may be off: one sampling interval, and one for NONREF jitter
SLACK = 2.0
#: edits whole-frame hashes cannot undo: local features (issue 11) are the signal for them
NEEDS_LOCAL_FEATURES = ("crop",)
FOUND_BY_PDQ = {
    name: edit for name, edit in {**EDITS, **MORE_EDITS}.items() if name not in NEEDS_LOCAL_FEATURES
}


@pytest.fixture(scope="module")
def originals() -> dict[str, bytes]:
    return {name: make_clip(CLIPS[name]) for name in ("street", "harbour")}


@pytest.fixture(scope="module")
def backdrop() -> bytes:
    return make_clip(OTHER_CLIPS["backdrop"])


@pytest.fixture(scope="module")
def index(originals: dict[str, bytes]) -> VideoIndex:
    index = VideoIndex()
    for video_id, data in enumerate(originals.values()):
        index.add(video_id, hash_video(data))
    return index


def _duration(name: str) -> float:
    return sum(shot.seconds for shot in CLIPS[name])


@pytest.mark.parametrize("family", list(FOUND_BY_PDQ))
def test_edited_copy_matches_its_original_with_time_ranges(
    family: str, originals: dict[str, bytes], backdrop: bytes, index: VideoIndex
) -> None:
    edit: Edit = FOUND_BY_PDQ[family]
    edited = edit(originals["street"], _duration("street"), backdrop)
    found = index.match(query_video(edited.data, name=f"{family}.mp4"))
    assert [m.video_id for m in found] == [0], f"{family}: {[m.to_dict() for m in found]}"
    match = found[0]
    assert match.matched
    segment = match.segments[0]
    assert segment.stored.start == pytest.approx(edited.stored[0], abs=SLACK)
    assert segment.stored.end == pytest.approx(edited.stored[1], abs=SLACK)
    assert segment.query.start == pytest.approx(edited.query[0], abs=SLACK)
    assert segment.query.end == pytest.approx(edited.query[1], abs=SLACK)


@pytest.mark.parametrize("family", NEEDS_LOCAL_FEATURES)
def test_edits_pdq_cannot_undo_match_nothing_else(
    family: str, originals: dict[str, bytes], backdrop: bytes, index: VideoIndex
) -> None:
    edited = EDITS[family](originals["street"], _duration("street"), backdrop)
    found = index.match(query_video(edited.data))
    assert all(m.video_id == 0 for m in found)


@pytest.mark.parametrize("name", list(OTHER_CLIPS))
def test_unrelated_clips_match_nothing(name: str, index: VideoIndex) -> None:
    query = query_video(make_clip(OTHER_CLIPS[name]))
    assert index.match(query) == []
    assert all(not m.matched for m in index.match(query, include_weak=True))
