"""The stored form of local features: a compact binary blob, and its text form (base64).

Layout, version 1 (little-endian; 18 + 38 bytes per keypoint, 15,218 bytes at most)::

    offset  size        field
    0       2           magic b"LF"
    2       1           version (1)
    3       1           detector (1 = ORB, 8 levels 1.2 apart, 256-bit descriptors)
    4       4 + 4       the picture's width and height in pixels (u32)
    12      2 + 2       the feature copy's width and height in pixels (u16, 1-4095)
    16      2           keypoint count n (``MIN_KEYPOINTS``-``MAX_KEYPOINTS``)
    18      4n          x, y of each keypoint in 16ths of a feature-copy pixel (u16 pairs)
    18+4n   n           orientation in 256ths of a turn (u8)
    18+5n   n           pyramid level (u8, below 8)
    18+6n   32n         descriptors

Why it is not the content: it holds where a few hundred corners are and, for each, 256 answers
to "is this point of the 31x31 patch around the corner brighter than that one?". No pixel value
is kept, the picture cannot be redrawn from it, and it is computed on a grey copy of about
640x480 pixels. What it allows is what a hash allows: recognising the same picture again.

``decode`` refuses anything else with ``InvalidLocalFeatures`` naming the first problem found:
a stored or imported blob that is malformed never reaches the index.
"""

from __future__ import annotations

import base64
import binascii
import struct

import numpy as np

from hashdb.errors import InvalidHash
from hashdb.localfeatures.features import (
    DESCRIPTOR_BYTES,
    MAX_KEYPOINTS,
    MIN_KEYPOINTS,
    PYRAMID_LEVELS,
    LocalFeatures,
)

__all__ = [
    "InvalidLocalFeatures",
    "MAX_BLOB_BYTES",
    "decode",
    "encode",
    "from_text",
    "to_text",
]

_MAGIC = b"LF"
_VERSION = 1
_ORB = 1
_HEADER = struct.Struct("<2sBBIIHHH")
_PER_KEYPOINT = 4 + 1 + 1 + DESCRIPTOR_BYTES
_SUBPIXEL = 16
_MAX_COPY_SIDE = 4095
MAX_BLOB_BYTES = _HEADER.size + _PER_KEYPOINT * MAX_KEYPOINTS


class InvalidLocalFeatures(InvalidHash):
    """A local-feature blob (or its text form) is malformed; the message says what is wrong."""


def encode(features: LocalFeatures) -> bytes:
    """The version-1 blob of ``features`` (positions rounded to 1/16 pixel)."""
    n = len(features)
    if not MIN_KEYPOINTS <= n <= MAX_KEYPOINTS:
        raise _refuse(f"{n} keypoints (expected {MIN_KEYPOINTS}-{MAX_KEYPOINTS})")
    header = _HEADER.pack(
        _MAGIC,
        _VERSION,
        _ORB,
        features.source_width,
        features.source_height,
        features.width,
        features.height,
        n,
    )
    limit = np.array([features.width, features.height]) * _SUBPIXEL - 1
    points = np.clip(np.round(features.points.astype(np.float64) * _SUBPIXEL), 0, limit)
    points = points.astype("<u2")
    return b"".join(
        (
            header,
            points.tobytes(),
            features.angles.astype(np.uint8).tobytes(),
            features.octaves.astype(np.uint8).tobytes(),
            np.ascontiguousarray(features.descriptors, np.uint8).tobytes(),
        )
    )


def _refuse(problem: str) -> InvalidLocalFeatures:
    return InvalidLocalFeatures(f"local features: {problem}")


def decode(blob: bytes) -> LocalFeatures:
    """The features in a version-1 blob; ``InvalidLocalFeatures`` if it is malformed."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise _refuse(f"expected bytes, got {type(blob).__name__}")
    blob = bytes(blob)
    if len(blob) < _HEADER.size:
        raise _refuse(f"{len(blob)} bytes is shorter than the {_HEADER.size}-byte header")
    magic, version, detector, src_w, src_h, width, height, n = _HEADER.unpack_from(blob)
    if magic != _MAGIC:
        raise _refuse(f"not a local-feature blob (starts with {magic!r}, expected {_MAGIC!r})")
    if version != _VERSION:
        raise _refuse(f"unsupported version {version} (this build reads version {_VERSION})")
    if detector != _ORB:
        raise _refuse(f"unknown detector {detector} (1 is ORB)")
    if not (1 <= width <= _MAX_COPY_SIDE and 1 <= height <= _MAX_COPY_SIDE):
        raise _refuse(f"feature copy of {width}x{height} pixels (each side 1-{_MAX_COPY_SIDE})")
    if src_w < width or src_h < height:
        raise _refuse(f"picture of {src_w}x{src_h} is smaller than its feature copy")
    if not MIN_KEYPOINTS <= n <= MAX_KEYPOINTS:
        raise _refuse(f"{n} keypoints (expected {MIN_KEYPOINTS}-{MAX_KEYPOINTS})")
    expected = _HEADER.size + _PER_KEYPOINT * n
    if len(blob) != expected:
        raise _refuse(f"{len(blob)} bytes for {n} keypoints (expected {expected})")
    offset = _HEADER.size
    raw = np.frombuffer(blob, "<u2", 2 * n, offset).reshape(n, 2)
    offset += 4 * n
    if (raw[:, 0] >= width * _SUBPIXEL).any() or (raw[:, 1] >= height * _SUBPIXEL).any():
        raise _refuse(f"a keypoint lies outside the {width}x{height} feature copy")
    angles = np.frombuffer(blob, np.uint8, n, offset).copy()
    octaves = np.frombuffer(blob, np.uint8, n, offset + n).copy()
    if (octaves >= PYRAMID_LEVELS).any():
        raise _refuse(f"a pyramid level of {int(octaves.max())} (the pyramid has {PYRAMID_LEVELS})")
    descriptors = np.frombuffer(blob, np.uint8, DESCRIPTOR_BYTES * n, offset + 2 * n)
    return LocalFeatures(
        source_width=src_w,
        source_height=src_h,
        width=width,
        height=height,
        points=raw.astype(np.float32) / _SUBPIXEL,
        angles=angles,
        octaves=octaves,
        descriptors=descriptors.reshape(n, DESCRIPTOR_BYTES).copy(),
    )


def to_text(blob: bytes) -> str:
    """The text form (standard base64, no line breaks) used in JSON and exports."""
    return base64.b64encode(blob).decode("ascii")


def from_text(text: str) -> bytes:
    """The blob in a text form, checked (``decode``); ``InvalidLocalFeatures`` if it is not."""
    if not isinstance(text, str):
        raise _refuse(f"expected base64 text, got {type(text).__name__}")
    if len(text) > 2 * MAX_BLOB_BYTES:
        raise _refuse(f"{len(text)} characters is longer than any blob's text form")
    try:
        blob = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _refuse(f"not valid base64 ({exc})") from None
    decode(blob)
    return blob
