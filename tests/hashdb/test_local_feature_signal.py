"""The ``orb`` signal type end to end: computed from pixels, stored, indexed, matched, reported.

Real photos from scikit-image (the test extra). Features are extracted once per module
(``_values``); the service tests add one photo's file bytes and check edited copies the way an
upload is checked (``match_bytes``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from PIL import Image

from hashdb import HashService, InvalidHash, NewEntry, get_signal, open_hash_service
from hashdb.localfeatures import InvalidLocalFeatures
from hashdb.signals import IndexRow, IndexRows, OrbSignal
from tests.hashdb.imaging import encode
from tests.hashdb.photo_edits import load_photo
from tests.hashdb.signal_contract import SignalTypeContract

pytest.importorskip("skimage", reason="scikit-image ships the real photos (the test extra)")

ORB = get_signal("orb")


def _heavy_crop(image: Image.Image) -> Image.Image:
    """The right two thirds and bottom three quarters, at half size: no whole-frame hash
    survives it."""
    w, h = image.size
    part = image.crop((w // 3, h // 4, w, h))
    return part.resize((part.width // 2, part.height // 2))


@cache
def _values() -> dict[str, str]:
    """Stored values: a photo, a heavily cropped copy of it, and another photo."""
    astronaut = load_photo("astronaut.png")
    found = {
        "example": ORB.hash_image(astronaut),
        "near": ORB.hash_image(_heavy_crop(astronaut)),
        "unrelated": ORB.hash_image(load_photo("coffee.png")),
    }
    return {key: h.value for key, h in found.items() if h is not None}


class TestOrbSignal(SignalTypeContract):
    signal = ORB
    example = _values()["example"]
    near = _values()["near"]
    unrelated = _values()["unrelated"]

    def test_the_type_is_named_after_its_algorithm_and_scores_inliers(self) -> None:
        assert isinstance(ORB, OrbSignal) and get_signal("local_features") is ORB
        assert ORB.higher_is_better and ORB.measure == "inliers" and ORB.costly_search
        assert ORB.default_threshold == 15

    def test_a_list_cannot_ask_for_fewer_inliers_than_verification_accepts(self) -> None:
        with pytest.raises(Exception, match="between 15 and 400"):
            ORB.check_threshold(14)

    def test_malformed_values_are_refused_naming_the_problem(self) -> None:
        for bad, problem in [
            ("not base64!", "not valid base64"),
            ("TEY=", "shorter than"),  # b"LF": a header cut short
            (self.example[:-8], "bytes for"),
        ]:
            with pytest.raises(InvalidLocalFeatures, match=problem):
                ORB.parse(bad)
        assert issubclass(InvalidLocalFeatures, InvalidHash)

    def test_a_summary_tells_values_apart_in_one_short_line(self) -> None:
        summary = ORB.summary(self.example)
        assert "keypoints" in summary and len(summary) < 80
        assert summary != ORB.summary(self.unrelated)

    def test_a_transform_is_put_in_words_for_people(self) -> None:
        turned = {"inliers": 40, "scale": 1.0, "rotation": 12.4, "region": [0, 0, 1, 1]}
        assert ORB.describe_match({**turned, "mirrored": True}) == "scale 1, turned 12°, mirrored"
        part = {**turned, "scale": 0.5, "rotation": 0.2, "region": [0.25, 0, 1, 0.5]}
        assert ORB.describe_match(part) == (
            "scale 0.5, shows 25%-100% x 0%-50% of the stored picture"
        )
        assert ORB.describe_match(None) == ""

    def test_an_unreadable_stored_row_is_skipped_not_fatal(self) -> None:
        index = ORB.new_index()
        index.add(IndexRows.of([IndexRow(1, 0, "garbage"), IndexRow(2, 0, self.example)]))
        assert len(index) == 1
        (found,) = index.search([self.query(self.near)], {0: 15})
        assert list(found) == [2]


def test_flat_and_tiny_pictures_give_no_local_features() -> None:
    flat = Image.new("RGB", (640, 480), (90, 120, 200))
    tiny = load_photo("astronaut.png").resize((40, 40))
    for picture in (flat, tiny):
        assert ORB.hash_image(picture) is None and ORB.query_image(picture) is None


@pytest.fixture
async def svc(tmp_path: Path) -> HashService:
    async with open_hash_service(str(tmp_path / "lf.db")) as service:
        await service.create_list("block", created_by="t")
        yield service


async def _add_file(service: HashService, list_name: str, data: bytes) -> dict[str, int]:
    hashes = await service.hash_bytes(data, variants=True)
    entries = await service.add_entries(
        list_name,
        [NewEntry(h.signal, h.value, quality=h.quality, variants=h.variants) for h in hashes],
        added_by="t",
    )
    return {e.signal: e.id for e in entries}


async def test_a_picture_added_from_a_file_is_found_in_a_heavily_edited_upload(
    service: HashService,
) -> None:
    """On both backends: a 20 KB value is stored (PostgreSQL: schema v5), indexed, matched."""
    svc = service
    await svc.create_list("block", created_by="t")
    astronaut = load_photo("astronaut.png")
    ids = await _add_file(svc, "block", encode(astronaut))
    assert set(ids) == {"md5", "sha256", "pdq", "phash", "orb"}

    results = await svc.match_bytes(encode(_heavy_crop(astronaut)))
    matched = {m.entry.signal: m for r in results for m in r.matches}
    assert set(matched) == {"orb"}  # the whole-frame hashes miss it
    match = matched["orb"]
    assert match.entry.id == ids["orb"] and match.distance >= 15
    assert match.detail is not None and match.detail["inliers"] == match.distance
    assert match.detail["scale"] == pytest.approx(0.5, abs=0.1)
    assert match.detail["region"] == pytest.approx([1 / 3, 1 / 4, 1, 1], abs=0.1)
    assert match.to_dict()["detail"] == match.detail
    assert not match.detail["mirrored"]

    mirrored = _heavy_crop(astronaut).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    results = await svc.match_bytes(encode(mirrored))
    (match,) = [m for r in results for m in r.matches]
    assert match.entry.id == ids["orb"] and match.detail and match.detail["mirrored"]

    unrelated = await svc.match_bytes(encode(load_photo("coffee.png")))
    assert [m for r in unrelated for m in r.matches] == []


async def test_a_lists_own_threshold_and_removal_apply(svc: HashService) -> None:
    astronaut = load_photo("astronaut.png")
    await svc.create_list("strict", created_by="t", thresholds={"orb": 400})
    ids = await _add_file(svc, "strict", encode(astronaut))
    copy = encode(_heavy_crop(astronaut))
    assert [m for r in await svc.match_bytes(copy) for m in r.matches] == []  # below 400

    ids = await _add_file(svc, "block", encode(astronaut))
    found = [m.entry.id for r in await svc.match_bytes(copy) for m in r.matches]
    assert found == [ids["orb"]]
    await svc.remove_entry(ids["orb"], reason="test", removed_by="t")
    assert [m for r in await svc.match_bytes(copy) for m in r.matches] == []


async def test_a_value_given_as_text_is_matched_like_an_upload(svc: HashService) -> None:
    astronaut = load_photo("astronaut.png")
    ids = await _add_file(svc, "block", encode(astronaut))
    near = _values()["near"]
    (result,) = await svc.match_many([("orb", near)])
    assert [m.entry.id for m in result.matches] == [ids["orb"]]
    with pytest.raises(InvalidHash, match="local features"):
        await svc.match("orb", near[:-4])
