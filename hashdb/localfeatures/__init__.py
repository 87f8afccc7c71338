"""Local features with geometric verification: finding a picture inside a heavily edited copy.

PDQ and pHash describe a whole frame, so a copy cropped to a quarter, shown small inside another
picture, put in a collage or a phone screenshot, turned or photographed off a screen no longer
matches them. Local features do: the corners of the stored picture are found again in the copy
and a similarity transform (scale, rotation, shift) must map one set onto the other.

Public surface:

- ``extract_features(image) -> LocalFeatures | None`` (``features``): ORB keypoints and
  descriptors of a decoded picture; None for tiny, flat and texture-only pictures;
- ``encode`` / ``decode`` / ``to_text`` / ``from_text`` (``codec``): the stored blob (at most
  15,218 bytes, no pixels) and its base64 text form; ``InvalidLocalFeatures`` for a bad one;
- ``LocalFeatureIndex`` (``index``): LSH candidate retrieval over the descriptors, then
  ``verify`` of the best candidates, for the query and its mirror image; ``LocalFeatureMatch``;
- ``verify`` and ``GeometricMatch`` (``verify``): the transform and its sanity checks;
- ``query_features(image)``: the features of a picture and (lazily) of its mirror image.

The thresholds and why, and the measured cost, are in docs/local-features.md. The package imports
OpenCV, numpy and Pillow, and nothing of the service, the stores or any adapter.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image

from hashdb.localfeatures.codec import (
    MAX_BLOB_BYTES,
    InvalidLocalFeatures,
    decode,
    encode,
    from_text,
    to_text,
)
from hashdb.localfeatures.features import (
    LocalFeatures,
    extract_features,
    feature_copy,
    features_of_copy,
)
from hashdb.localfeatures.index import LocalFeatureIndex, LocalFeatureMatch
from hashdb.localfeatures.verify import GeometricMatch, verify

__all__ = [
    "MAX_BLOB_BYTES",
    "GeometricMatch",
    "InvalidLocalFeatures",
    "LocalFeatureIndex",
    "LocalFeatureMatch",
    "LocalFeatures",
    "decode",
    "encode",
    "extract_features",
    "from_text",
    "query_features",
    "to_text",
    "verify",
]


def query_features(
    image: Image.Image,
) -> tuple[LocalFeatures | None, Callable[[], LocalFeatures | None]]:
    """The features of ``image``, and a callable giving those of its mirror image (a mirrored
    copy's corners describe differently: ORB's descriptors are not symmetric, so the mirror is
    searched as a picture of its own; ``LocalFeatureIndex.match`` calls it only when the picture
    itself matched nothing). The callable keeps the small grey feature copy, not the picture."""
    grey = feature_copy(image)
    features = None if grey is None else features_of_copy(grey, image.size)
    if grey is None or features is None:
        return None, lambda: None  # tiny, flat or texture only: so is its mirror image
    size = image.size
    return features, lambda: features_of_copy(grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT), size)
