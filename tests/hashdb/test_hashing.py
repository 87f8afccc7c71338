"""Hash values, robustness to edits, every Pillow mode, and every bad input."""

from __future__ import annotations

import functools
import hashlib
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from hashdb import (
    FileTooLarge,
    HashLimits,
    UnsupportedMedia,
    get_signal,
    hash_bytes,
    hash_file,
    pdq_dihedral_variants,
)
from hashdb.decoding import DRAFT_MIN_SIDE, decode_image
from hashdb.perceptual import pdq_hash, phash_hash
from hashdb.video import parse_video

from .imaging import crop_fraction, encode, synthetic_photo

PDQ = get_signal("pdq")
PHASH = get_signal("phash")


def by_signal(data: bytes, **kwargs: object) -> dict[str, object]:
    return {h.signal: h for h in hash_bytes(data, **kwargs)}  # type: ignore[arg-type]


# -- values against the reference ---------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pdq_equals_reference_on_the_same_pixels(seed: int) -> None:
    image = synthetic_photo(seed)
    data = encode(image, "PNG")
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    vector, quality = pdqhash.compute(pixels)
    # python-threatexchange's conversion: the bit vector read as one binary number
    reference = format(int("".join(str(int(b)) for b in vector), 2), "064x")
    ours = by_signal(data)["pdq"]
    assert ours.value == reference
    assert ours.quality == quality


def test_digests_are_of_the_file_bytes() -> None:
    import hashlib

    data = encode(synthetic_photo(4))
    hashes = by_signal(data)
    assert hashes["md5"].value == hashlib.md5(data).hexdigest()
    assert hashes["sha256"].value == hashlib.sha256(data).hexdigest()
    assert [h.signal for h in hash_bytes(data)] == ["md5", "sha256", "pdq", "phash", "orb"]


def test_phash_is_imagehash_phash() -> None:
    import imagehash

    image = synthetic_photo(5)
    data = encode(image, "PNG")
    assert by_signal(data)["phash"].value == str(imagehash.phash(Image.open(io.BytesIO(data))))


def test_dihedral_variants_match_the_transformed_images() -> None:
    image = synthetic_photo(6)
    variants = pdq_dihedral_variants(image)
    assert len(variants) == 8
    assert variants[0] == pdq_hash(image)
    for transform in (
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_180,
        Image.Transpose.FLIP_LEFT_RIGHT,
        Image.Transpose.FLIP_TOP_BOTTOM,
    ):
        # the variants come from one DCT of the original; the box filters are not exactly
        # symmetric, so they sit a few bits from hashing the transformed pixels
        edited = pdq_hash(image.transpose(transform)).value
        assert min(PDQ.distance(edited, v.value) for v in variants) <= 16


# -- edited copies match, unrelated images do not ----------------------------------------------
EDITS = {
    "jpeg_q50": lambda im: Image.open(io.BytesIO(encode(im, quality=50))),
    "resize_50": lambda im: im.resize((im.width // 2, im.height // 2)),
    "crop_1pc": lambda im: crop_fraction(im, 0.01),
}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_edited_copies_stay_within_threshold(seed: int, edit: str) -> None:
    original = synthetic_photo(seed)
    edited = EDITS[edit](original)
    assert PDQ.distance(pdq_hash(original).value, pdq_hash(edited).value) <= 31
    assert PHASH.distance(phash_hash(original).value, phash_hash(edited).value) <= 10


@pytest.mark.parametrize("seed", range(5))
def test_mirrored_and_rotated_copies_match_through_dihedral_variants(seed: int) -> None:
    stored = pdq_hash(synthetic_photo(seed)).value
    for transform in (Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.ROTATE_90):
        upload = synthetic_photo(seed).transpose(transform)
        assert PDQ.distance(stored, pdq_hash(upload).value) > 31  # plain PDQ misses it...
        best = min(PDQ.distance(stored, v.value) for v in pdq_dihedral_variants(upload))
        assert best <= 31  # ...the variants find it


def test_crops_beyond_a_few_percent_are_phash_territory() -> None:
    # PDQ is known to be crop-sensitive; pHash still matches a 2 % crop on every side.
    original = synthetic_photo(0)
    edited = crop_fraction(original, 0.02)
    assert PHASH.distance(phash_hash(original).value, phash_hash(edited).value) <= 10


def test_unrelated_images_are_far_apart() -> None:
    hashes = [(pdq_hash(im).value, phash_hash(im).value) for im in map(synthetic_photo, range(12))]
    for i, (pdq_a, ph_a) in enumerate(hashes):
        for pdq_b, ph_b in hashes[i + 1 :]:
            assert PDQ.distance(pdq_a, pdq_b) > 31
            assert PHASH.distance(ph_a, ph_b) > 10


# -- decoding: speed path, orientation, every mode ---------------------------------------------
def test_jpeg_draft_decodes_smaller_and_agrees_with_a_full_decode() -> None:
    image = synthetic_photo(7, size=(3000, 2200))
    data = encode(image, quality=90)
    limits = HashLimits()
    fast = decode_image(data, name="big.jpg", limits=limits)
    full = decode_image(data, name="big.jpg", limits=limits, draft=False)
    assert full.size == (3000, 2200)
    assert min(fast.size) >= DRAFT_MIN_SIDE and fast.width < full.width
    assert PDQ.distance(pdq_hash(fast).value, pdq_hash(full).value) <= 4
    assert PHASH.distance(phash_hash(fast).value, phash_hash(full).value) <= 2
    small = encode(synthetic_photo(7, size=(1600, 1200)))
    assert decode_image(small, name="s.jpg", limits=limits).size == (1600, 1200)  # no draft


def test_exif_orientation_is_applied() -> None:
    upright = synthetic_photo(8)
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # the sensor's view
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    tagged = encode(stored, quality=95, exif=exif.tobytes())
    untagged = encode(stored, quality=95)
    reference = pdq_hash(upright).value
    assert PDQ.distance(by_signal(tagged)["pdq"].value, reference) <= 8
    assert PDQ.distance(by_signal(untagged)["pdq"].value, reference) > 31


def _animated(fmt: str) -> bytes:
    first, second = synthetic_photo(9, (200, 150)), synthetic_photo(10, (200, 150))
    buffer = io.BytesIO()
    first.save(buffer, fmt, save_all=True, append_images=[second], duration=100, loop=0)
    return buffer.getvalue()


@functools.cache
def _mode_cases() -> dict[str, bytes]:
    photo = synthetic_photo(11, (320, 240))
    rgba = photo.convert("RGBA")
    rgba.putalpha(255)
    pixels16 = (np.asarray(photo.convert("L")).astype(np.uint16) * 257).astype(np.uint16)
    return {
        "P": encode(photo.quantize(64), "PNG"),
        "P_transparent": encode(photo.quantize(64), "PNG", transparency=0),
        "L": encode(photo.convert("L"), "PNG"),
        "LA": encode(photo.convert("LA"), "PNG"),
        "1": encode(photo.convert("1"), "PNG"),
        "RGBA": encode(rgba, "PNG"),
        "CMYK_jpeg": encode(photo.convert("CMYK"), "JPEG"),
        "CMYK_tiff": encode(photo.convert("CMYK"), "TIFF"),
        "I;16": encode(Image.fromarray(pixels16), "PNG"),
        "F_tiff": encode(photo.convert("F"), "TIFF"),
        "YCbCr_tiff": encode(photo.convert("YCbCr"), "TIFF"),
        "animated_gif": _animated("GIF"),
        "animated_webp": _animated("WEBP"),
        "webp": encode(photo, "WEBP"),
        "bmp": encode(photo, "BMP"),
    }


MODE_CASES = ["P", "P_transparent", "L", "LA", "1", "RGBA", "CMYK_jpeg", "CMYK_tiff", "I;16"]
MODE_CASES += ["F_tiff", "YCbCr_tiff", "animated_gif", "animated_webp", "webp", "bmp"]


def test_mode_cases_cover_the_list() -> None:
    assert sorted(_mode_cases()) == sorted(MODE_CASES)
    assert Image.open(io.BytesIO(_mode_cases()["I;16"])).mode.startswith("I;16")


@pytest.mark.parametrize("case", MODE_CASES)
def test_every_mode_hashes(case: str) -> None:
    hashes = by_signal(_mode_cases()[case], name=case)
    # local features too, except for the dithered 1-bit picture: dots everywhere, texture only
    local = {"orb"} if case != "1" else set()
    assert set(hashes) == {"md5", "sha256", "pdq", "phash", *local}
    pdq = hashes["pdq"]
    assert len(pdq.value) == 64 and 0 <= pdq.quality <= 100


@pytest.mark.parametrize("case", ["P", "L", "RGBA", "CMYK_tiff", "I;16", "webp"])
def test_mode_conversions_keep_the_picture(case: str) -> None:
    reference = pdq_hash(synthetic_photo(11, (320, 240))).value
    assert PDQ.distance(by_signal(_mode_cases()[case])["pdq"].value, reference) <= 31


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animations_hash_their_first_frame(fmt: str) -> None:
    first = synthetic_photo(9, (200, 150))
    frame_hash = by_signal(_animated(fmt))["pdq"].value
    assert PDQ.distance(frame_hash, pdq_hash(first).value) <= 31
    assert PDQ.distance(frame_hash, pdq_hash(synthetic_photo(10, (200, 150))).value) > 31


def test_flat_images_are_flagged_low_quality() -> None:
    flat = by_signal(encode(Image.new("RGB", (300, 300), (90, 90, 90)), "PNG"))["pdq"]
    assert flat.quality < 50 and flat.low_quality
    assert flat.to_dict()["low_quality"] is True
    photo = by_signal(encode(synthetic_photo(3)))["pdq"]
    assert not photo.low_quality


# -- bad input: clear errors naming the file and the reason ------------------------------------
def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def test_not_an_image() -> None:
    with pytest.raises(UnsupportedMedia, match=r"notes\.txt: not an image"):
        hash_bytes(b"just some text, certainly not a picture", name="notes.txt")


def test_empty_file() -> None:
    with pytest.raises(UnsupportedMedia, match="empty.jpg"):
        hash_bytes(b"", name="empty.jpg")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_image(fmt: str) -> None:
    data = encode(synthetic_photo(13), fmt)
    with pytest.raises(UnsupportedMedia, match=r"cut\.img: truncated"):
        hash_bytes(data[: len(data) // 2], name="cut.img")


def test_decompression_bomb_over_the_configured_limit() -> None:
    data = encode(synthetic_photo(14, (1200, 1000)), "PNG")
    with pytest.raises(UnsupportedMedia, match=r"bomb\.png: .*decompression bomb.*1,200,000"):
        hash_bytes(data, name="bomb.png", limits=HashLimits(max_image_pixels=1_000_000))


def test_decompression_bomb_header_caught_by_pillow() -> None:
    # 100k x 100k pixels claimed in a few bytes: Pillow refuses it before we even look.
    with pytest.raises(UnsupportedMedia, match=r"huge\.png: .*decompression bomb"):
        hash_bytes(_png_header_only(100_000, 100_000), name="huge.png")


def test_decompression_bomb_warning_is_not_left_to_the_warning_filter() -> None:
    # 100M pixels: above Pillow's warning limit, below its error limit; tests turn warnings into
    # errors, so a leaked DecompressionBombWarning would fail differently.
    limits = HashLimits(max_image_pixels=10**9)
    with pytest.raises(UnsupportedMedia, match=r"warn\.png: .*decompression bomb"):
        hash_bytes(_png_header_only(10_000, 10_000), name="warn.png", limits=limits)


def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(encode(synthetic_photo(15)))
    with pytest.raises(FileTooLarge, match=r"big\.jpg: file is too large .*limit is 1,000 bytes"):
        hash_file(path, limits=HashLimits(max_file_bytes=1000))
    with pytest.raises(FileTooLarge, match="upload"):
        hash_bytes(path.read_bytes(), name="upload", limits=HashLimits(max_file_bytes=1000))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMedia, match=r"nope\.jpg: cannot read file"):
        hash_file(tmp_path / "nope.jpg")
    with pytest.raises(UnsupportedMedia, match="is a directory"):
        hash_file(tmp_path)


# -- video ---------------------------------------------------------------------------------------
def _video(scenes: list[Image.Image], seconds_each: float, fps: int = 10) -> bytes:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = scenes[0].size
        stream.pix_fmt = "yuv420p"
        for scene in scenes:
            for _ in range(int(seconds_each * fps)):
                frame = av.VideoFrame.from_image(scene)
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def test_a_video_gives_one_vpdq_hash_with_a_frame_per_distinct_scene(tmp_path: Path) -> None:
    scenes = [synthetic_photo(16, (320, 240)), synthetic_photo(17, (320, 240))]
    data = _video(scenes, seconds_each=2.0)
    (hashed,) = hash_bytes(data, name="clip.mp4")
    assert hashed.signal == "vpdq"
    video = parse_video(hashed.value)
    assert (video.md5, video.sha256) == (
        hashlib.md5(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )
    assert [f.timestamp for f in video.frames][0] == 0.0 and len(video.frames) == 2
    assert video.frames[1].timestamp >= 1.9
    for frame, scene in zip(video.frames, scenes, strict=True):
        assert PDQ.distance(frame.pdq, pdq_hash(scene).value) <= 31
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    assert hash_file(path) == [hashed]  # streamed from the path, the same hash


def test_video_frame_cap() -> None:
    scenes = [synthetic_photo(s, (160, 120)) for s in range(20, 26)]
    limits = HashLimits(video_frame_interval_seconds=1.0, video_max_frames=3)
    (hashed,) = hash_bytes(_video(scenes, 1.0), limits=limits)
    video = parse_video(hashed.value)
    assert len(video.frames) == 3 and "video_max_frames = 3" in (video.cut_short or "")


def test_broken_video() -> None:
    data = _video([synthetic_photo(18, (160, 120))], 1.0)
    with pytest.raises(UnsupportedMedia, match="clip.mp4"):
        hash_bytes(data[:200], name="clip.mp4")
