"""Local features on real photos: heavily edited copies are found, unrelated photos never are.

The photos are the natural ones shipped with scikit-image and PyWavelets (installed with the test
extra and ImageHash), at most 800 pixels a side; each is added once (module fixture) to one
``LocalFeatureIndex``. Every family of ``REPOSTS`` edits (heavy crops, picture-in-picture,
collages, phone screenshots, border + caption, 9:16 with a blurred fill, turns, photos of a
screen, everyday edits) is applied to every photo with parameters drawn from a seeded generator:
most copies must be found by their own photo, and no copy may match any photo it does not show.
Rates per edit are measured by ``benchmarks/bench_detection.py``; here each family must find at
least ``FAMILY_RECALL`` of its copies, below what the benchmark measures for every family, so a
regression fails.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from hashdb.errors import InvalidHash
from hashdb.localfeatures import (
    MAX_BLOB_BYTES,
    InvalidLocalFeatures,
    LocalFeatureIndex,
    LocalFeatures,
    decode,
    encode,
    extract_features,
    from_text,
    query_features,
    to_text,
    verify,
)

from .photo_edits import NATURAL_PHOTOS, REPOSTS, TEXTURES, natural_photos, photo_bytes

pytest.importorskip("skimage", reason="scikit-image ships the real photos (the test extra)")

#: the share of a family's copies that must be found (the benchmark measures more for each)
FAMILY_RECALL = 0.6
#: one edit per family, and the everyday ones local features must find as well
EDITS = (
    "crop 30-45% area",
    "pip 45-70%",
    "collage row",
    "phone light",
    "border + caption",
    "9:16 blurred fill",
    "turn 15-40 deg",
    "turn 6-45 deg, white canvas",
    "photo of a screen",
    "photo of a screen, mirrored",
    "mirror + crop 2-10%",
    "jpeg q12-42",
)


def _decoded(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


@pytest.fixture(scope="module")
def photos() -> dict[str, Image.Image]:
    wanted = {
        f"{p}:{path.rsplit('/', 1)[-1]}" for p, path in NATURAL_PHOTOS if p in {"skimage", "pywt"}
    }
    out = {}
    for name, data in natural_photos().items():
        if name in wanted:
            image = _decoded(data)
            image.thumbnail((800, 800))  # features see ~640x480 anyway; edits run faster
            out[name] = image
    return out


@pytest.fixture(scope="module")
def stored(photos: dict[str, Image.Image]) -> dict[str, LocalFeatures]:
    """Each photo's features, through the stored blob (as an entry holds them)."""
    out = {}
    for name, image in photos.items():
        features = extract_features(image)
        if features is not None:
            out[name] = decode(encode(features))
    return out


@pytest.fixture(scope="module")
def index(stored: dict[str, LocalFeatures]) -> tuple[LocalFeatureIndex, list[str]]:
    names = list(stored)
    built = LocalFeatureIndex()
    built.add_many(enumerate(stored[n] for n in names))
    return built, names


def test_most_real_photos_have_features_and_fit_the_budget(
    photos: dict[str, Image.Image], stored: dict[str, LocalFeatures]
) -> None:
    assert len(photos) >= 15
    assert len(stored) >= len(photos) - 2  # a star field is texture only
    assert all(len(encode(f)) <= MAX_BLOB_BYTES <= 16 * 1024 for f in stored.values())


@pytest.mark.parametrize("edit", EDITS)
def test_an_edited_copy_matches_its_own_photo_and_no_other(
    photos: dict[str, Image.Image],
    index: tuple[LocalFeatureIndex, list[str]],
    edit: str,
) -> None:
    built, names = index
    rng = np.random.default_rng(sum(map(ord, edit)))
    found, false_matches = 0, []
    for i, name in enumerate(names):
        other = names[(i + 1) % len(names)]
        data = REPOSTS[edit].edit(photos[name], rng, photos[other])
        matches = built.match(*query_features(_decoded(data)))
        shown = {name, other} if REPOSTS[edit].shows_other else {name}
        found += any(names[m.entry_id] == name for m in matches)
        false_matches += [
            f"{name} -> {names[m.entry_id]} ({m.transform.inliers} inliers)"
            for m in matches
            if names[m.entry_id] not in shown
        ]
    assert false_matches == [], f"{edit}: false matches {false_matches}"
    assert found >= FAMILY_RECALL * len(names), f"{edit}: found {found} of {len(names)}"


def test_the_transform_says_how_the_copy_shows_the_picture(
    photos: dict[str, Image.Image], stored: dict[str, LocalFeatures]
) -> None:
    """A known crop, shrink and turn is reported as such (scale, rotation, region)."""
    image = photos["skimage:astronaut.png"]
    w, h = image.size
    crop = image.crop((w // 4, h // 4, w, h))  # the bottom-right three quarters, at half size
    shrunk, _ = query_features(crop.resize((crop.width // 2, crop.height // 2)))
    turned, _ = query_features(
        image.rotate(20, Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    )
    assert shrunk is not None and turned is not None
    match = verify(shrunk, stored["skimage:astronaut.png"])
    assert match is not None and not match.mirrored
    assert match.scale == pytest.approx(0.5, abs=0.03)
    assert match.rotation == pytest.approx(0, abs=1)
    assert match.region == pytest.approx((0.25, 0.25, 1.0, 1.0), abs=0.03)
    assert match.to_dict()["inliers"] == match.inliers
    match = verify(turned, stored["skimage:astronaut.png"])
    assert match is not None
    assert match.scale == pytest.approx(1.0, abs=0.05)
    assert match.rotation == pytest.approx(20, abs=1)
    assert match.region == pytest.approx((0, 0, 1, 1), abs=0.03)


def test_a_mirrored_copy_is_found_through_its_mirror_image(
    photos: dict[str, Image.Image], index: tuple[LocalFeatureIndex, list[str]]
) -> None:
    built, names = index
    copy = photos["skimage:coffee.png"].transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    matches = built.match(*query_features(copy))
    assert [names[m.entry_id] for m in matches] == ["skimage:coffee.png"]
    assert matches[0].transform.mirrored


def _flat() -> Image.Image:
    return Image.new("RGB", (640, 480), (90, 120, 200))


def _tiny() -> Image.Image:
    image = _decoded(photo_bytes("astronaut.png"))
    return image.resize((48, 48))


def _gradient() -> Image.Image:
    ramp = np.linspace(0, 255, 640)[None, :].repeat(480, 0)
    return Image.fromarray(ramp.astype(np.uint8)).convert("RGB")


def _texture(name: str) -> Callable[[], Image.Image]:
    return lambda: _decoded(photo_bytes(name))


@pytest.mark.parametrize(
    "make",
    [_flat, _tiny, _gradient, *(_texture(t) for t in TEXTURES)],
    ids=["flat", "tiny", "gradient", *TEXTURES],
)
def test_flat_tiny_and_texture_only_pictures_have_no_local_features(
    make: Callable[[], Image.Image], index: tuple[LocalFeatureIndex, list[str]]
) -> None:
    image = make()
    assert extract_features(image) is None
    query, mirrored = query_features(image)
    assert query is None and mirrored() is None
    assert index[0].match(query, mirrored) == []


def test_a_blob_round_trips_to_sixteenths_of_a_pixel(stored: dict[str, LocalFeatures]) -> None:
    features = next(iter(stored.values()))
    again = decode(from_text(to_text(encode(features))))
    assert (again.width, again.height, len(again)) == (
        features.width,
        features.height,
        len(features),
    )
    assert np.abs(again.points - features.points).max() <= 1 / 32
    assert np.array_equal(again.descriptors, features.descriptors)
    assert np.array_equal(again.octaves, features.octaves)
    assert encode(again) == encode(features)


def _edited(blob: bytes, offset: int, value: bytes) -> bytes:
    return blob[:offset] + value + blob[offset + len(value) :]


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda b: b[:10], "shorter than the 18-byte header"),
        (lambda b: b[:-1], "bytes for"),
        (lambda b: b + b"\0", "bytes for"),
        (lambda b: _edited(b, 0, b"XX"), "not a local-feature blob"),
        (lambda b: _edited(b, 2, b"\x07"), "unsupported version 7"),
        (lambda b: _edited(b, 3, b"\x09"), "unknown detector 9"),
        (lambda b: _edited(b, 12, b"\0\0"), "feature copy of 0x"),
        (lambda b: _edited(b, 4, b"\1\0\0\0"), "smaller than its feature copy"),
        (lambda b: _edited(b, 16, b"\x05\0"), "5 keypoints"),
        (lambda b: _edited(b, 18, b"\xff\xff"), "outside the"),
        (lambda b: _edited(b, 18 + 5 * 400, b"\x09"), "pyramid level of 9"),
    ],
)
def test_a_malformed_blob_is_refused_with_the_reason(
    stored: dict[str, LocalFeatures], corrupt: Callable[[bytes], bytes], message: str
) -> None:
    features = next(f for f in stored.values() if len(f) == 400)
    with pytest.raises(InvalidLocalFeatures, match=message) as caught:
        decode(corrupt(encode(features)))
    assert isinstance(caught.value, InvalidHash)  # adapters map it like any malformed hash
    with pytest.raises(InvalidLocalFeatures):
        from_text(to_text(corrupt(encode(features))))


@pytest.mark.parametrize("text", ["", "not base64!", "TEZ=", 12, "A" * 40_000])
def test_a_malformed_text_form_is_refused(text: object) -> None:
    with pytest.raises(InvalidLocalFeatures, match="local features"):
        from_text(text)  # type: ignore[arg-type]


def test_removed_entries_are_not_found_and_adding_again_replaces(
    photos: dict[str, Image.Image], stored: dict[str, LocalFeatures]
) -> None:
    index = LocalFeatureIndex(tail_limit=10**9)  # searched in the tail, never rebuilt
    names = list(stored)
    for i, name in enumerate(names):
        index.add(i, stored[name])
    query = query_features(photos[names[0]])
    assert [m.entry_id for m in index.match(*query)] == [0]
    index.rebuild()
    assert [m.entry_id for m in index.match(*query)] == [0]
    index.remove(0)
    assert index.match(*query) == [] and 0 not in index and len(index) == len(names) - 1
    index.add(0, stored[names[1]])  # the id now holds another picture
    assert {m.entry_id for m in index.match(*query_features(photos[names[1]]))} == {0, 1}


def test_tables_built_aside_and_merged_tails_answer_like_a_fresh_index(
    photos: dict[str, Image.Image], stored: dict[str, LocalFeatures]
) -> None:
    """Entries added one by one (tails merged in), tables built in pieces while more are added
    and removed, a stale build refused: the candidates are those of an index built in one go."""
    names = list(stored)
    grown = LocalFeatureIndex(auto_rebuild=False, tail_limit=0)
    for i, name in enumerate(names[:6]):
        grown.add(i, stored[name])
    built = grown.build_tables()  # as in a worker thread, while the index goes on changing
    for i, name in enumerate(names[6:], start=6):
        grown.add(i, stored[name])
    grown.remove(2)
    stale = grown.build_tables()
    assert grown.install(built) and not grown.install(stale)  # tables moved on: refused
    assert grown.unbuilt_rows == sum(min(len(stored[n]), 400) for n in names[6:])
    grown.rebuild()
    assert grown.unbuilt_rows == 0 and not grown.needs_rebuild()

    fresh = LocalFeatureIndex()
    fresh.add_many((i, stored[n]) for i, n in enumerate(names) if i != 2)
    for name in names:
        query = extract_features(photos[name])
        assert query is not None
        assert grown.candidates(query) == fresh.candidates(query)
