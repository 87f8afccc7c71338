"""Stored variants (crops of an original) and query-side border trimming.

The service half runs on both backends; the geometry half checks ``content_box`` on synthetic
borders. Real photos with real edits are in ``test_robustness_real_photos.py``.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from hashdb import HashService, InvalidArgument, InvalidHash, LowQualityHash, NewEntry
from hashdb.content_hash import ContentHash, HashVariant
from hashdb.hashing import hash_bytes, hash_bytes_for_query
from hashdb.perceptual import pdq_hash
from hashdb.variants import VARIANT_KINDS, content_box, rotated, stored_variants

from .imaging import encode, synthetic_photo

PHOTO = synthetic_photo(3)
PDQ = pdq_hash(PHOTO).value
CROP = pdq_hash(synthetic_photo(4)).value  # a real hash standing in for the crop's
OTHER = pdq_hash(synthetic_photo(5)).value


def _flip(value: str, bits: int) -> str:
    return format(int(value, 16) ^ ((1 << bits) - 1), "064x")


async def _listed(service: HashService) -> int:
    await service.create_list("tve", created_by="alice")
    entry = await service.add_entry(
        "tve",
        "pdq",
        PDQ,
        quality=100,
        added_by="alice",
        variants=[HashVariant("crop-10", CROP), HashVariant("crop-5", _flip(CROP, 6))],
    )
    assert entry.variants == (HashVariant("crop-10", CROP), HashVariant("crop-5", _flip(CROP, 6)))
    return entry.id


async def test_a_variant_match_reports_its_entry_once_at_the_smallest_distance(
    service: HashService,
) -> None:
    entry_id = await _listed(service)
    (result,) = await service.match_many([("pdq", _flip(CROP, 2))])
    assert [(m.entry.id, m.distance, m.matched_variant) for m in result.matches] == [
        (entry_id, 2, "crop-10")
    ]
    assert result.matches[0].to_dict()["matched_variant"] == "crop-10"
    own = await service.match("pdq", PDQ)
    assert [(m.entry.id, m.distance, m.matched_variant) for m in own.matches] == [
        (entry_id, 0, None)
    ]
    assert (await service.match("pdq", OTHER)).matches == []
    assert service.index_sizes()["pdq"] == 1 and service.index_rows()["pdq"] == 3


async def test_removal_takes_the_variants_out_of_the_index(service: HashService) -> None:
    entry_id = await _listed(service)
    await service.remove_entry(entry_id, reason="benign", removed_by="bob")
    assert (await service.match("pdq", CROP)).matches == []
    assert service.index_sizes()["pdq"] == 0 and service.index_rows()["pdq"] == 0


@pytest.mark.parametrize(
    ("signal", "value", "variant", "error"),
    [
        ("pdq", PDQ, HashVariant("zoom-3", CROP), InvalidArgument),
        ("md5", "ab" * 16, HashVariant("crop-5", "cd" * 16), InvalidArgument),
        ("pdq", PDQ, HashVariant("crop-5", "xyz"), InvalidHash),
        ("pdq", PDQ, HashVariant("crop-5", "0" * 64), LowQualityHash),
    ],
)
async def test_bad_variants_are_refused_and_nothing_is_added(
    service: HashService, signal: str, value: str, variant: HashVariant, error: type[Exception]
) -> None:
    await service.create_list("tve", created_by="alice")
    good = NewEntry(signal="pdq", value=OTHER, quality=100)
    bad = NewEntry(signal=signal, value=value, quality=100, variants=[variant])
    with pytest.raises(error):
        await service.add_entries("tve", [good, bad], added_by="alice")
    assert await service.entries("tve") == []


def test_hashing_from_pixels_gives_the_variants_to_store() -> None:
    hashes = {h.signal: h for h in hash_bytes(encode(PHOTO), variants=True)}
    assert all(h.variants == () for h in hash_bytes(encode(PHOTO)))  # opt-in: ~20 ms an image
    kinds = {v.kind for v in hashes["pdq"].variants}
    assert {"crop-5", "crop-10", "crop-15", "crop-top-12", "crop-bottom-12"} <= kinds
    turns = {"rotate-ccw-4", "rotate-cw-4", "straighten-ccw-4", "straighten-cw-4"}
    assert kinds <= set(VARIANT_KINDS) and not kinds & turns  # PDQ: crops only
    assert {v.kind for v in hashes["phash"].variants} == kinds | turns  # pHash: and small turns
    assert hashes["md5"].variants == () and hashes["sha256"].variants == ()
    assert "square" in kinds  # 640x480: at least 1.2 times wider than high
    pdq = hashes["pdq"]
    assert pdq == ContentHash("pdq", pdq.value, pdq.quality)  # variants are not its identity


@pytest.mark.parametrize("degrees", [4.0, -4.0, 10.0])
def test_a_straightened_turn_keeps_the_shape_and_no_uncovered_corner(degrees: float) -> None:
    white = Image.new("RGB", (640, 480), (255, 255, 255))
    turned = rotated(white, degrees)
    assert turned.size == (640, 480) and turned.getpixel((0, 0)) == (0, 0, 0)  # black corners
    straight = rotated(white, degrees, straighten=True)
    assert abs(straight.width / straight.height - 640 / 480) < 0.01
    assert straight.width < 640 and np.asarray(straight).min() >= 128  # only the turned picture
    # and as large as it can be: 3 % larger, the same centred box takes in a black corner
    w, h = straight.width * 1.03, straight.height * 1.03
    wider = turned.crop(
        (round(320 - w / 2), round(240 - h / 2), round(320 + w / 2), round(240 + h / 2))
    )
    assert np.asarray(wider).min() < 128


def _on_canvas(
    photo: Image.Image, colour: tuple[int, int, int], pad: tuple[int, int]
) -> Image.Image:
    canvas = Image.new("RGB", (photo.width + 2 * pad[0], photo.height + 2 * pad[1]), colour)
    canvas.paste(photo, pad)
    return canvas


@pytest.mark.parametrize(
    ("colour", "pad"),
    [((0, 0, 0), (0, 96)), ((0, 0, 0), (80, 0)), ((240, 240, 240), (64, 120))],
    ids=["letterbox", "pillarbox", "screenshot-canvas"],
)
def test_content_box_finds_the_picture_inside_uniform_borders(
    colour: tuple[int, int, int], pad: tuple[int, int]
) -> None:
    framed = _on_canvas(PHOTO, colour, pad)
    decoded = Image.open(io.BytesIO(encode(framed, quality=80))).convert("RGB")
    box = content_box(decoded)
    assert box is not None
    expected = (pad[0], pad[1], pad[0] + PHOTO.width, pad[1] + PHOTO.height)
    assert all(abs(a - b) <= 0.02 * PHOTO.width for a, b in zip(box, expected, strict=True))


def test_content_box_trims_a_caption_bar_despite_its_text() -> None:
    captioned = PHOTO.copy()
    draw = ImageDraw.Draw(captioned)
    draw.rectangle([0, 420, 640, 480], fill=(0, 0, 0))
    draw.text((10, 440), "BREAKING NEWS share before it is deleted", fill=(255, 255, 255))
    box = content_box(captioned)
    assert box is not None and box[:3] == (0, 0, 640) and abs(box[3] - 420) <= 4


def test_content_box_leaves_alone_photos_tiny_borders_and_slivers() -> None:
    assert content_box(PHOTO) is None
    assert content_box(_on_canvas(PHOTO, (0, 0, 0), (0, 3))) is None  # under 2 %: noise
    sliver = _on_canvas(PHOTO.resize((640, 40)), (255, 255, 255), (0, 300))
    assert content_box(sliver) is None  # content under a quarter of the height
    assert content_box(Image.new("RGB", (300, 200), (90, 90, 90))) is None


def test_a_query_on_a_canvas_is_also_searched_with_its_content() -> None:
    framed = encode(_on_canvas(PHOTO, (240, 240, 240), (64, 120)), "PNG")
    pdq = next(q for q in hash_bytes_for_query(framed) if q.hash.signal == "pdq")
    best = min((int(v, 16) ^ int(PDQ, 16)).bit_count() for v in pdq.search_values)
    assert best <= 16 and (int(pdq.hash.value, 16) ^ int(PDQ, 16)).bit_count() > 31


def test_flat_crops_are_never_stored() -> None:
    half_flat = Image.new("RGB", (600, 400), (128, 128, 128))
    half_flat.paste(synthetic_photo(7, (600, 60)), (0, 0))
    kinds = {v.kind for v in stored_variants(half_flat)["pdq"]}
    assert "crop-top-12" not in kinds and "crop-15" not in kinds
