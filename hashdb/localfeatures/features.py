"""Local features of a picture: where its corners are and a 256-bit description of each.

``extract_features(image)`` turns a decoded picture into at most ``MAX_KEYPOINTS`` ORB keypoints
(position, orientation, pyramid level) with their 32-byte binary descriptors, computed on a grey
copy reduced to about ``FEATURE_AREA`` pixels. A picture that is tiny, flat or texture only gives
``None``: nothing a geometric match could anchor on (PDQ and pHash cover those).

Why ORB (measured in ``benchmarks/bench_detection.py`` and docs/local-features.md): it is the
binary detector in opencv-python-headless 5 (AKAZE and BRISK left the main modules), about
6 ms per picture on one core against about 100 ms for SIFT, and its 32-byte descriptors let 400
keypoints fit the 16 KB budget (SIFT's 128 bytes would leave about 100).

Why a spread selection (``_spread``): ORB keeps the strongest corners, which bunch up in the
busiest part of a photo; a copy cropped to another part would then share none. Keypoints are
taken in turn from each cell of a 4x4 grid, strongest first, so every region keeps some.

Owns pixels to features only (OpenCV, numpy, Pillow); storage is ``codec``, search ``index``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

__all__ = [
    "DESCRIPTOR_BYTES",
    "FEATURE_AREA",
    "MAX_KEYPOINTS",
    "MIN_KEYPOINTS",
    "LocalFeatures",
    "extract_features",
    "feature_copy",
    "features_of_copy",
]

#: pixels of the grey copy features are computed on (about 640x480, any shape)
FEATURE_AREA = 640 * 480
#: keypoints kept per picture: 400 x 38 bytes + header stays under 16 KB (see ``codec``)
MAX_KEYPOINTS = 400
#: a picture with fewer keypoints can never reach ``verify.MIN_INLIERS``: store none
MIN_KEYPOINTS = 24
DESCRIPTOR_BYTES = 32
#: ORB's pyramid: 8 levels 1.2 apart cover a 3.6x scale difference on each side of a match
PYRAMID_LEVELS = 8
PYRAMID_SCALE = 1.2
#: the short side of the feature copy below which a picture is "tiny" (an icon, a thumbnail)
MIN_SIDE = 64
#: a picture whose 16x16 box-averaged copy varies less than this times its fine detail is
#: texture only (gravel, grass, brickwork, a star field): corners everywhere, no layout. Measured
#: on real photos: textures 0.29-0.63, photos 1.08 and up (docs/local-features.md)
TEXTURE_RATIO = 0.75
_FAST_THRESHOLD = 10
_CANDIDATES = 3 * MAX_KEYPOINTS
_GRID = 4


@dataclass(frozen=True, eq=False)
class LocalFeatures:
    """Keypoints and descriptors of one picture, in the coordinates of its feature copy.

    ``source_width`` x ``source_height``: the picture's own size in pixels (to report a match's
    scale and region in its terms). ``points`` (n, 2) float32 x/y in pixels of a ``width`` x
    ``height`` copy; ``angles`` (n,)
    uint8 orientation in 256ths of a turn; ``octaves`` (n,) uint8 pyramid level; ``descriptors``
    (n, 32) uint8. Row order is selection order (strongest of each grid cell first).
    """

    source_width: int
    source_height: int
    width: int
    height: int
    points: np.ndarray
    angles: np.ndarray
    octaves: np.ndarray
    descriptors: np.ndarray

    def __len__(self) -> int:
        return len(self.points)


def feature_copy(image: Image.Image) -> Image.Image | None:
    """The grey copy features are computed on (reduced to ``FEATURE_AREA`` pixels, never
    enlarged), or None when it is tiny (short side under ``MIN_SIDE``)."""
    width, height = image.size
    scale = min(1.0, (FEATURE_AREA / max(1, width * height)) ** 0.5)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if min(size) < MIN_SIDE:
        return None
    grey = image.convert("L")
    if scale < 1:
        grey = grey.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return grey


def _texture_only(grey: np.ndarray) -> bool:
    """True when the picture has fine detail but no coarse layout (see ``TEXTURE_RATIO``)."""
    pixels = grey.astype(np.float32)
    fine = float(np.std(pixels - cv2.GaussianBlur(pixels, (0, 0), 2.0)))
    coarse = cv2.resize(pixels, (16, 16), interpolation=cv2.INTER_AREA)
    return float(np.std(coarse)) < TEXTURE_RATIO * fine


def _spread(keypoints: list[cv2.KeyPoint], width: int, height: int) -> list[cv2.KeyPoint]:
    """At most ``MAX_KEYPOINTS``, taken in turn from each grid cell, strongest first."""
    if len(keypoints) <= MAX_KEYPOINTS:
        return sorted(keypoints, key=lambda k: -k.response)
    cells: dict[tuple[int, int], list[cv2.KeyPoint]] = {}
    for kp in sorted(keypoints, key=lambda k: -k.response):
        x, y = kp.pt
        cell = (min(_GRID - 1, int(x * _GRID / width)), min(_GRID - 1, int(y * _GRID / height)))
        cells.setdefault(cell, []).append(kp)
    chosen: list[cv2.KeyPoint] = []
    rank = 0
    while len(chosen) < MAX_KEYPOINTS:
        row = [c[rank] for c in cells.values() if rank < len(c)]
        if not row:
            break
        row.sort(key=lambda k: -k.response)
        chosen.extend(row[: MAX_KEYPOINTS - len(chosen)])
        rank += 1
    return chosen


def extract_features(image: Image.Image) -> LocalFeatures | None:
    """ORB keypoints and descriptors of ``image`` (any mode), or None when it has none worth
    storing: tiny, flat (fewer than ``MIN_KEYPOINTS`` corners) or texture only."""
    grey_image = feature_copy(image)
    if grey_image is None:
        return None
    return features_of_copy(grey_image, image.size)


def features_of_copy(grey_image: Image.Image, source_size: tuple[int, int]) -> LocalFeatures | None:
    """``extract_features`` of a picture whose feature copy (``feature_copy``) is ``grey_image``
    and whose own size is ``source_size``: lets a caller keep the small copy (its mirror image
    is searched later) instead of the picture."""
    grey = np.asarray(grey_image)
    if _texture_only(grey):
        return None
    orb = cv2.ORB_create(  # type: ignore[attr-defined]
        nfeatures=_CANDIDATES,
        scaleFactor=PYRAMID_SCALE,
        nlevels=PYRAMID_LEVELS,
        fastThreshold=_FAST_THRESHOLD,
    )
    height, width = grey.shape
    keypoints = _spread(list(orb.detect(grey, None)), width, height)
    if len(keypoints) < MIN_KEYPOINTS:
        return None
    keypoints, descriptors = orb.compute(grey, keypoints)
    if descriptors is None or len(keypoints) < MIN_KEYPOINTS:
        return None
    return LocalFeatures(
        source_width=source_size[0],
        source_height=source_size[1],
        width=width,
        height=height,
        points=np.array([k.pt for k in keypoints], np.float32),
        angles=np.array([round(k.angle * 256 / 360) % 256 for k in keypoints], np.uint8),
        octaves=np.array([k.octave for k in keypoints], np.uint8),
        descriptors=np.ascontiguousarray(descriptors, np.uint8),
    )
