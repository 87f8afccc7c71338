"""Geometric verification: is a stored picture really inside a query, and where?

``verify(query, stored)`` matches the two pictures' descriptors, fits a similarity transform
(scale, rotation, shift: ``cv2.estimateAffinePartial2D`` with RANSAC) from the stored picture to
the query, and accepts it only when it passes every sanity check below. It returns the transform
as a ``GeometricMatch`` (inliers, scale, rotation, the region of the stored picture the query
shows) or None.

Why each check (measured on real photos: benchmarks/bench_detection.py, docs/local-features.md).
Descriptors alone say little: among hundreds of corners some always look alike, and RANSAC will
fit *some* transform to any set of pairs. The false fits seen without these checks all had one
of these shapes, which a real copy never has:

- **few inliers**: at least ``MIN_INLIERS`` (unrelated pictures stay far below: see the doc);
- **implausible scale**: the stored picture shown below ``MIN_SCALE`` or above ``MAX_SCALE`` of
  its feature-copy size (a collapse of many points onto a few, or a few onto many);
- **inliers bunched together**: they must spread over at least ``MIN_SPREAD`` of the stored
  picture's width and height and the same share of the query's (a logo, a line of text or a
  repeated window is one small patch);
- **repeated positions**: inliers are counted once per distinct position in each picture
  (``_distinct``), so one corner matched many times, or many matched to one, counts once.

Pairs come from a ratio test (the best stored descriptor clearly closer than the second best)
kept once per stored keypoint, which removes most ambiguous matches before RANSAC.

Owns matching and geometry (OpenCV, numpy); never decodes pictures, never touches a store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from hashdb.localfeatures.features import LocalFeatures

__all__ = [
    "MAX_SCALE",
    "MIN_INLIERS",
    "MIN_SCALE",
    "MIN_SPREAD",
    "GeometricMatch",
    "verify",
]

MIN_INLIERS = 15
MIN_SCALE = 0.15
MAX_SCALE = 6.0
MIN_SPREAD = 0.1
#: Lowe's ratio test on Hamming distances
_RATIO = 0.85
#: a pair further apart than this (of 256 bits) is no pair at all
_MAX_DISTANCE = 80
#: RANSAC's reprojection tolerance, as a share of the query copy's diagonal (a few pixels:
#: loose enough for a photo of a screen, which a similarity only approximates)
_TOLERANCE = 0.012
#: positions closer than this (pixels of a feature copy) count as the same position
_SAME_POSITION = 2.0


@dataclass(frozen=True)
class GeometricMatch:
    """A verified local-feature match and the transform from the stored picture to the query.

    ``scale``: query pixels per stored-picture pixel (both at their own full size); ``rotation``:
    degrees counter-clockwise; ``region``: the part of the stored picture seen in the query as
    (left, top, right, bottom) fractions of its width and height; ``mirrored``: the match was
    with the query's mirror image.
    """

    inliers: int
    scale: float
    rotation: float
    region: tuple[float, float, float, float]
    mirrored: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "inliers": self.inliers,
            "scale": round(self.scale, 3),
            "rotation": round(self.rotation, 1),
            "region": [round(v, 3) for v in self.region],
            "mirrored": self.mirrored,
        }


_MATCHER = cv2.BFMatcher(cv2.NORM_HAMMING)


def _pairs(query: LocalFeatures, stored: LocalFeatures) -> tuple[np.ndarray, np.ndarray]:
    """(query rows, stored rows) of the pairs passing the ratio test, once per stored row."""
    best: dict[int, tuple[int, int]] = {}
    for found in _MATCHER.knnMatch(query.descriptors, stored.descriptors, k=2):
        if len(found) < 2:
            continue
        first, second = found
        if first.distance > _MAX_DISTANCE or first.distance >= _RATIO * second.distance:
            continue
        kept = best.get(first.trainIdx)
        if kept is None or first.distance < kept[1]:
            best[first.trainIdx] = (first.queryIdx, int(first.distance))
    stored_rows = np.fromiter(best.keys(), np.int64, len(best))
    query_rows = np.fromiter((q for q, _ in best.values()), np.int64, len(best))
    return query_rows, stored_rows


def _distinct(points: np.ndarray) -> int:
    return len(np.unique(np.round(points / _SAME_POSITION).astype(np.int64), axis=0))


def _spread_ok(points: np.ndarray, width: int, height: int) -> bool:
    extent = points.max(axis=0) - points.min(axis=0)
    return bool(extent[0] >= MIN_SPREAD * width and extent[1] >= MIN_SPREAD * height)


def _region(
    transform: np.ndarray, query: LocalFeatures, stored: LocalFeatures
) -> tuple[float, float, float, float]:
    """The query frame mapped back onto the stored picture, clipped to it, as fractions."""
    inverse = cv2.invertAffineTransform(transform)
    w, h = query.width, query.height
    corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], np.float64)
    mapped = corners @ inverse.T
    left, top = np.clip(mapped.min(axis=0) / (stored.width, stored.height), 0, 1)
    right, bottom = np.clip(mapped.max(axis=0) / (stored.width, stored.height), 0, 1)
    return float(left), float(top), float(right), float(bottom)


def verify(
    query: LocalFeatures, stored: LocalFeatures, *, mirrored: bool = False
) -> GeometricMatch | None:
    """The transform showing ``stored`` inside ``query``, if it passes every check (module
    docstring); ``mirrored`` only labels the result (the caller passes the mirror's features)."""
    query_rows, stored_rows = _pairs(query, stored)
    if len(query_rows) < MIN_INLIERS:
        return None
    source = stored.points[stored_rows]
    target = query.points[query_rows]
    tolerance = _TOLERANCE * math.hypot(query.width, query.height)
    transform, mask = cv2.estimateAffinePartial2D(
        source,
        target,
        method=cv2.RANSAC,
        ransacReprojThreshold=tolerance,
        maxIters=2000,
        confidence=0.995,
    )
    if transform is None or mask is None:
        return None
    keep = mask.ravel().astype(bool)
    if keep.sum() < MIN_INLIERS:
        return None
    scale = math.hypot(transform[0, 0], transform[1, 0])
    if not MIN_SCALE <= scale <= MAX_SCALE:
        return None
    source, target = source[keep], target[keep]
    inliers = min(_distinct(source), _distinct(target))
    if inliers < MIN_INLIERS:
        return None
    if not (
        _spread_ok(source, stored.width, stored.height)
        and _spread_ok(target, query.width, query.height)
    ):
        return None
    # in the pictures' own pixels: a feature-copy pixel is source_width / width of them
    full_scale = scale * (query.source_width / query.width) / (stored.source_width / stored.width)
    rotation = -math.degrees(math.atan2(transform[1, 0], transform[0, 0]))
    return GeometricMatch(
        inliers=inliers,
        scale=full_scale,
        rotation=rotation,
        region=_region(transform, query, stored),
        mirrored=mirrored,
    )
