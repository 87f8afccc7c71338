"""Real photos with everyday edits match their own original and nothing else.

Eleven natural photos bundled with scikit-image are added to one list each, from their pixels (so
with the stored crop and rotation variants), through the service; every edit in ``EVERYDAY`` of
every photo is then matched with ``match_bytes``, and so is every ``COVERED`` edit (small turns,
black-cornered or straightened, and a 20 % crop per side: the pHash rotation and crop-20
variants). It must match its own photo's entry on PDQ or pHash, and no edited photo may match
another photo's entries on any signal. Per-signal rates and the harder edits are measured by
``benchmarks/bench_robustness.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hashdb import ContentHash, HashService, NewEntry, hash_bytes, open_hash_service

from .photo_edits import COVERED, EVERYDAY, HARD, PHOTOS, load_photo, photo_bytes

pytest.importorskip("skimage", reason="scikit-image ships the real photos (the test extra)")

PERCEPTUAL = ("pdq", "phash")
REQUIRED = {**EVERYDAY, **{name: HARD[name] for name in COVERED}}


@pytest.fixture(scope="module")
def originals() -> dict[str, list[ContentHash]]:
    """Each photo hashed once from its file (md5, sha256, pdq and phash with their variants)."""
    return {name: hash_bytes(photo_bytes(name), variants=True) for name in PHOTOS}


@pytest.fixture
async def service(originals: dict[str, list[ContentHash]]) -> AsyncIterator[HashService]:
    async with open_hash_service(":memory:") as svc:
        for name, hashes in originals.items():
            await svc.create_list(name, created_by="test")
            await svc.add_entries(
                name,
                [
                    NewEntry(h.signal, h.value, quality=h.quality, variants=h.variants)
                    for h in hashes
                ],
                added_by="test",
            )
        yield svc


@pytest.mark.parametrize("edit", list(REQUIRED))
async def test_an_everyday_edit_matches_its_own_photo_and_no_other(
    service: HashService, edit: str
) -> None:
    missed, false_matches = [], []
    for name in PHOTOS:
        results = await service.match_bytes(REQUIRED[edit](load_photo(name)), name=edit)
        own = [
            m
            for r in results
            if r.query.signal in PERCEPTUAL
            for m in r.matches
            if m.list_name == name
        ]
        if not own:
            missed.append(name)
        false_matches += [
            f"{name} -> {m.list_name} ({r.query.signal} {m.distance})"
            for r in results
            for m in r.matches
            if m.list_name != name
        ]
    assert missed == [], f"{edit}: no match for {missed}"
    assert false_matches == [], f"{edit}: false matches {false_matches}"


async def test_an_unedited_photo_matches_exactly_on_its_own_hashes(service: HashService) -> None:
    results = await service.match_bytes(photo_bytes("chelsea.png"))
    by_signal = {r.query.signal: r.matches for r in results}
    for signal in ("md5", "sha256", "pdq", "phash"):
        assert [(m.list_name, m.distance, m.matched_variant) for m in by_signal[signal]] == [
            ("chelsea.png", 0, None)
        ]
