"""Derived search hashes that let everyday crops, captions and borders match (pixels to hashes).

PDQ and pHash describe the whole frame, so an edit that changes the frame moves them far: on real
photos a 5 % crop per side moves PDQ 80-130 bits (threshold 31), and black bars or a screenshot's
canvas defeat both signals (benchmarks/bench_robustness.py). Two remedies, both keeping the
"hashes, not content" rule:

- store side, ``stored_variants(image)``: when an entry is added from pixels, the PDQ and pHash of
  a few crops of the original (``VARIANT_KINDS``: centre crops of 5, 10, 15 and 20 % per side,
  12 % off the top or the bottom where captions and watermarks go, 10 % off the left or the
  right, a centre square, the content inside uniform borders) are stored with the entry and
  searched on its behalf, and the pHash of four small turns (4 degrees either way, in the same
  frame with black corners and straightened, i.e. cropped to what the turned picture covers).
  A copy cropped or turned about the same way lands within ``VARIANT_RADIUS`` of one of them:
  on the 11 real photos, turns of 1-5 degrees either way in both styles (all 11, but 10 for a
  straightened 2-degree turn; 6 degrees 7-11, 8 degrees a few) and a 20 % crop per side (all 11;
  18 % 7, 25 % none).
  Turns are pHash only because PDQ moves 30-60 bits per degree: a PDQ turn would match its own
  angle and nothing else.
- query side, ``content_box(image)``: an upload whose content sits inside uniform borders
  (letterbox or pillarbox bars, a screenshot's flat canvas, padding, a caption bar) is also
  searched with the hashes of the content inside.

Why the crops are hashed from a copy reduced to ``VARIANT_SIDE`` pixels: PDQ reduces every image to
64x64 anyway, and hashing ten crops and four turns of a 10 MP photo at full size would take
seconds; at 512 px the variants cost ~30 ms per image.

Owns only pixel geometry and hashing; the service decides what to store and search.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
from PIL import Image

from hashdb.content_hash import PDQ_MIN_QUALITY, ContentHash, HashVariant
from hashdb.perceptual import pdq_hash, phash_hash

__all__ = [
    "VARIANT_KINDS",
    "VARIANT_RADIUS",
    "VARIANT_SIDE",
    "Box",
    "content_box",
    "crop_boxes",
    "rotated",
    "stored_variants",
    "with_variants",
]

#: (left, top, right, bottom) in pixels, as ``Image.crop`` takes it
Box = tuple[int, int, int, int]

#: fractions cut off (left, top, right, bottom) for each fixed crop variant
_CROPS: dict[str, tuple[float, float, float, float]] = {
    "crop-5": (0.05, 0.05, 0.05, 0.05),
    "crop-10": (0.10, 0.10, 0.10, 0.10),
    "crop-15": (0.15, 0.15, 0.15, 0.15),
    "crop-20": (0.20, 0.20, 0.20, 0.20),
    "crop-top-12": (0.0, 0.12, 0.0, 0.0),
    "crop-bottom-12": (0.0, 0.0, 0.0, 0.12),
    "crop-left-10": (0.10, 0.0, 0.0, 0.0),
    "crop-right-10": (0.0, 0.0, 0.10, 0.0),
}
#: small rotations, stored for pHash only: kind -> (degrees counter-clockwise, straightened).
#: "rotate": turned inside the same frame, the uncovered corners black (a plain rotate tool);
#: "straighten": turned and cropped to the largest centred box of the same shape that the turned
#: picture covers (a phone's straighten tool). Why 4 degrees and pHash only: on real photos pHash
#: stays within ``VARIANT_RADIUS`` of a 4-degree variant for turns of about 1-6 degrees, while PDQ
#: moves 30-60 bits per degree of difference, so a PDQ rotation variant would only match its own
#: exact angle and cost a (256-bit) index row for nothing.
_ROTATIONS: dict[str, tuple[float, bool]] = {
    "rotate-ccw-4": (4.0, False),
    "rotate-cw-4": (-4.0, False),
    "straighten-ccw-4": (4.0, True),
    "straighten-cw-4": (-4.0, True),
}
#: every kind ``stored_variants`` produces ("square": centre square of an image at least 1.2 times
#: wider than high or the reverse; "trim": the content inside uniform borders, when there are any)
VARIANT_KINDS: tuple[str, ...] = (*_CROPS, "square", "trim", *_ROTATIONS)
VARIANT_SIDE = 512
#: the largest distance at which a stored variant counts as a match (never above the list's own
#: threshold). Why tighter than the signals' thresholds (PDQ 31, pHash 10): every variant is one
#: more chance for unrelated content to land within range, and at these radii an entry with six
#: variants has fewer such chances than one hash at the full threshold; it also lets the exact
#: index probe unflipped 16-bit chunks for PDQ (six times the rows for a fraction of the time).
#: Measured on real photos (benchmarks/bench_robustness.py), the everyday crops, bars and captions
#: that need a variant land within these radii of it (PDQ misses two captioned copies that pHash
#: still matches), and no edited photo comes near another photo's variant: the closest is 78 bits
#: away for PDQ and 14 for pHash (crops and turns included), twice the radius.
VARIANT_RADIUS: dict[str, int] = {"pdq": 15, "phash": 7}

# border detection, on a box-filtered copy of at most _DETECT_SIDE pixels (averaging smooths JPEG
# noise): a side has a border when its outermost line is uniform (_EDGE_SHARE of its pixels within
# _TOLERANCE of the line's median colour in every channel); the border extends inward while lines
# stay mostly that colour (_INNER_SHARE: a caption's letters or a logo on a bar do not end it)
_DETECT_SIDE = 256
_TOLERANCE = 12
_EDGE_SHARE = 0.95
_INNER_SHARE = 0.6
#: a trim below this share of a dimension is noise, not a border (and changes no hash much)
_MIN_TRIM = 0.02
#: the content must keep this share of each dimension (else it is a sliver, not the picture)
_MIN_KEEP = 0.25
_MIN_KEEP_PIXELS = 32


#: views that put each side's border first: top, bottom, left, right
_SIDES: tuple[Callable[[np.ndarray], np.ndarray], ...] = (
    lambda a: a,
    lambda a: a[::-1],
    lambda a: a.transpose(1, 0, 2),
    lambda a: a.transpose(1, 0, 2)[::-1],
)


def _deviation(lines: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Per pixel, the largest channel difference from ``colour`` (n, length)."""
    diff = np.abs(lines - colour)
    deviation: np.ndarray = np.maximum(np.maximum(diff[..., 0], diff[..., 1]), diff[..., 2])
    return deviation


def _border_depth(lines: np.ndarray) -> tuple[int, np.ndarray]:
    """How many of ``lines`` (n, length, 3; outermost first) belong to a uniform border, and the
    border's colour."""
    background = np.median(lines[0], axis=0)
    if (_deviation(lines[:1], background) <= _TOLERANCE).mean() < _EDGE_SHARE:
        return 0, background  # most photos: no border on this side, nothing more to compute
    limit = int(len(lines) * (1 - _MIN_KEEP)) + 1
    share = (_deviation(lines[:limit], background) <= _TOLERANCE).mean(axis=1)
    inner = share >= _INNER_SHARE
    if inner.all():
        return len(lines), background  # uniform three quarters deep: a flat picture (a sliver)
    run = int(np.argmin(inner))
    # end at the last uniform line of the run: a caption inside a bar does not end the bar, but
    # a picture that is merely dark near its edge is not swallowed into a black bar
    return int(np.nonzero(share[:run] >= _EDGE_SHARE)[0][-1]) + 1, background


def _refined(full: np.ndarray, depth: int, factor: int, background: np.ndarray) -> int:
    """The border's depth in full-size ``full`` lines, from ``depth`` reduced lines.

    Why refine: PDQ moves about 10 bits per 1 % of crop, so a box off by one reduced line (a few
    pixels) would cost the match; the first non-uniform full-size line near the reduced edge is
    the content's edge.
    """
    if depth == 0:
        return 0
    start = max(0, (depth - 1) * factor - 1)
    stop = min(len(full), (depth + 1) * factor + 1)
    band = full[start:stop].astype(np.int16)
    share = (_deviation(band, background) <= _TOLERANCE).mean(axis=1)
    content = np.nonzero(share < _EDGE_SHARE)[0]
    return start + (int(content[0]) if len(content) else stop - start)


def content_box(image: Image.Image) -> Box | None:
    """The box inside uniform borders of an RGB image, or None if there is nothing worth trimming.

    None also when the trim is tiny (under 2 % of both dimensions) or would leave a sliver (under a
    quarter of a dimension or 32 px).
    """
    width, height = image.size
    if min(width, height) < 2 * _MIN_KEEP_PIXELS:
        return None
    factor = -(-max(width, height) // _DETECT_SIDE)  # integer box reduction: fast, averages noise
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    small = np.asarray(rgb.reduce(factor) if factor > 1 else rgb, dtype=np.int16)
    full = np.asarray(rgb)
    depths = []
    for side in _SIDES:
        depth, background = _border_depth(side(small))
        if depth >= len(side(small)):
            return None
        depths.append(_refined(side(full), depth, factor, background))
    top, bottom, left, right = depths
    if top + bottom < _MIN_TRIM * height and left + right < _MIN_TRIM * width:
        return None
    box = (left, top, width - right, height - bottom)
    kept_w, kept_h = box[2] - box[0], box[3] - box[1]
    if min(kept_w, kept_h) < _MIN_KEEP_PIXELS or kept_w < _MIN_KEEP * width:
        return None
    if kept_h < _MIN_KEEP * height:
        return None
    return box


def crop_boxes(image: Image.Image) -> dict[str, Box]:
    """The box of every variant that applies to ``image`` (``VARIANT_KINDS`` order)."""
    width, height = image.size
    boxes: dict[str, Box] = {}
    for kind, (left, top, right, bottom) in _CROPS.items():
        boxes[kind] = (
            round(width * left),
            round(height * top),
            width - round(width * right),
            height - round(height * bottom),
        )
    if max(width, height) >= 1.2 * min(width, height):
        side = min(width, height)
        x, y = (width - side) // 2, (height - side) // 2
        boxes["square"] = (x, y, x + side, y + side)
    trimmed = content_box(image)
    if trimmed is not None:
        boxes["trim"] = trimmed
    return boxes


def rotated(image: Image.Image, degrees: float, *, straighten: bool = False) -> Image.Image:
    """``image`` turned ``degrees`` counter-clockwise about its centre in the same frame (the
    uncovered corners black); with ``straighten`` cropped to the largest centred box of the same
    aspect ratio that the turned picture covers, as a straighten tool does."""
    turned = image.rotate(degrees, Image.Resampling.BILINEAR)
    if not straighten:
        return turned
    width, height = image.size
    angle = math.radians(abs(degrees))
    cos, sin = math.cos(angle), math.sin(angle)
    # a centred box (s*w, s*h) fits the turned frame iff the box turned back fits the frame
    scale = min(width / (width * cos + height * sin), height / (width * sin + height * cos))
    keep_w, keep_h = width * scale, height * scale
    box = (
        round((width - keep_w) / 2),
        round((height - keep_h) / 2),
        round((width + keep_w) / 2),
        round((height + keep_h) / 2),
    )
    return turned.crop(box)


def _usable_pdq(value: ContentHash) -> bool:
    """A crop that is flat (low quality) would match unrelated content: never store it."""
    ones = int(value.value, 16).bit_count()
    return (value.quality or 0) >= PDQ_MIN_QUALITY and 64 <= ones <= 192


def stored_variants(image: Image.Image) -> dict[str, tuple[HashVariant, ...]]:
    """Signal name -> the variants to store with the image's PDQ and pHash entries.

    Crops for both signals, the small rotations (``_ROTATIONS``) for pHash only. A value equal to
    an earlier variant's is left out; PDQ crops of low quality are left out (they come from flat
    regions and would match anything flat).
    """
    width, height = image.size
    scale = min(1.0, VARIANT_SIDE / max(width, height))
    base = image
    if scale < 1:
        base = image.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))),
            Image.Resampling.BILINEAR,
            reducing_gap=2.0,
        )
    seen: dict[str, set[str]] = {"pdq": set(), "phash": set()}
    out: dict[str, list[HashVariant]] = {"pdq": [], "phash": []}
    for kind, box in crop_boxes(base).items():
        crop = base.crop(box)
        pdq = pdq_hash(crop)
        for signal, value in (("pdq", pdq.value), ("phash", phash_hash(crop).value)):
            if signal == "pdq" and not _usable_pdq(pdq):
                continue
            if value not in seen[signal]:
                seen[signal].add(value)
                out[signal].append(HashVariant(kind, value))
    grey = base.convert("L")  # what pHash hashes anyway: turning one channel costs a third
    for kind, (degrees, straighten) in _ROTATIONS.items():
        value = phash_hash(rotated(grey, degrees, straighten=straighten)).value
        if value not in seen["phash"]:
            seen["phash"].add(value)
            out["phash"].append(HashVariant(kind, value))
    return {signal: tuple(values) for signal, values in out.items()}


def with_variants(image: Image.Image, hashes: Iterable[ContentHash]) -> list[ContentHash]:
    """``hashes`` of ``image`` with the store-side variants attached to its PDQ and pHash."""
    variants = stored_variants(image)
    return [
        ContentHash(h.signal, h.value, h.quality, h.frame_seconds, variants.get(h.signal, ()))
        for h in hashes
    ]
