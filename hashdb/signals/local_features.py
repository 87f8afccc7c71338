"""``orb``: local features of a picture, matched by geometric verification (issue 11).

A stored value is the base64 text of a local-feature blob (``hashdb.localfeatures.codec``: up to
400 ORB keypoints with their 256-bit descriptors, at most 15,218 bytes, 20,292 characters; no
pixels). A query is an image's features (and, lazily, its mirror image's); a match is a stored
picture found inside the query by a similarity transform that passes the sanity checks of
``hashdb.localfeatures.verify``. So a heavy or off-centre crop, a picture-in-picture, a collage,
a phone screenshot, a caption, a turn or a photo of a screen still matches, where whole-frame
hashes (PDQ, pHash) cannot. What, why and what it costs: docs/local-features.md.

Why the name: signal types are named after the algorithm that computes the value, as
ThreatExchange and HMA name theirs (``pdq``, ``vpdq``, ``tmk_pdqf``, ``md5``); the value here is
ORB keypoints and descriptors. ``local_features`` and ``orb_features`` are accepted as aliases.
The blob's version and detector bytes say exactly which recipe made a value.

How it differs from the hashes:

- ``distance`` is a score: the number of verified inliers (``higher_is_better``, ``measure`` is
  "inliers"); a match is at or above the list's threshold (15 by default, the least
  ``verify`` accepts; a list may ask for more, up to 400);
- it is computed from pixels (``HashesImages``): stored when a picture is added from a file or an
  upload, searched for every image checked; a picture with no usable features (tiny, flat,
  texture only) gives none, which is not an error;
- its index (``LocalFeatureSignalIndex``) reports the transform found (scale, rotation, the region
  of the stored picture seen in the query, mirrored) as the hit's ``detail``;
- searching costs milliseconds (verification), so it runs in a worker thread (``costly_search``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, ClassVar

from PIL import Image

from hashdb.content_hash import ContentHash, QueryHash
from hashdb.errors import InvalidArgument
from hashdb.localfeatures import (
    decode,
    encode,
    extract_features,
    from_text,
    query_features,
    to_text,
    verify,
)
from hashdb.localfeatures.features import MAX_KEYPOINTS
from hashdb.localfeatures.verify import MIN_INLIERS
from hashdb.signals.base import HashesImages, SignalType
from hashdb.signals.local_feature_index import (
    FEATURES,
    MIRROR,
    LocalFeatureSignalIndex,
)

__all__ = ["OrbSignal"]


class OrbSignal(SignalType, HashesImages):
    """ORB local features with geometric verification (see the module docstring)."""

    name = "orb"
    aliases = ("local_features", "orb_features")
    #: bits of one descriptor (a value holds up to 400 of them)
    bits = 256
    default_threshold = MIN_INLIERS
    higher_is_better = True
    measure = "inliers"
    costly_search = True
    #: values up to this long are shown whole by ``summary`` (none is: a blob is >= 1,000)
    _SHOWN_WHOLE: ClassVar[int] = 80

    def parse(self, text: str) -> str:
        """The canonical base64 text of a well-formed blob; ``InvalidLocalFeatures`` (an
        ``InvalidHash``) naming the problem otherwise."""
        return to_text(from_text(text))

    def distance(self, a: str, b: str) -> int:
        """Verified inliers showing the picture of ``a`` (stored) inside ``b`` (the query), 0
        when the transform fails a check. Not symmetric: the stored side's keypoints are paired
        once each, as the index does."""
        found = verify(decode(from_text(b)), decode(from_text(a)))
        return 0 if found is None else found.inliers

    @property
    def max_threshold(self) -> int:
        """As many inliers as a picture has keypoints."""
        return MAX_KEYPOINTS

    def check_threshold(self, value: object) -> int:
        """A list's minimum of inliers: from ``MIN_INLIERS`` (below it no transform is accepted
        at all, so a lower threshold would promise matches that never come) to ``MAX_KEYPOINTS``."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgument(f"threshold for {self.name} must be an integer")
        if not MIN_INLIERS <= value <= MAX_KEYPOINTS:
            raise InvalidArgument(
                f"threshold for {self.name} must be between {MIN_INLIERS} and {MAX_KEYPOINTS} "
                "(verified inliers: a match needs at least this many)"
            )
        return value

    def summary(self, value: str) -> str:
        """For example "400 keypoints, 15,218 bytes, sha256 1f2e...": tells values apart."""
        if len(value) <= self._SHOWN_WHOLE:
            return value
        try:
            blob = from_text(value)
        except ValueError:
            return f"{value[:40]}... ({len(value):,} characters)"
        digest = hashlib.sha256(blob).hexdigest()[:16]
        return f"{len(decode(blob))} keypoints, {len(blob):,} bytes, sha256 {digest}"

    def describe_match(self, detail: Mapping[str, Any] | None) -> str:
        """For example "scale 0.42, turned 12°, shows 10%-62% x 5%-70% of the stored picture,
        mirrored"."""
        if not detail:
            return ""
        left, top, right, bottom = detail.get("region", (0, 0, 1, 1))
        parts = [f"scale {detail.get('scale', 0):g}"]
        rotation = float(detail.get("rotation", 0))
        if abs(rotation) >= 2:  # a fit's own noise is about a degree: said only past it
            parts.append(f"turned {rotation:.0f}°")
        if (left, top, right, bottom) != (0, 0, 1, 1):
            parts.append(
                f"shows {left:.0%}-{right:.0%} x {top:.0%}-{bottom:.0%} of the stored picture"
            )
        if detail.get("mirrored"):
            parts.append("mirrored")
        return ", ".join(parts)

    def new_index(self) -> LocalFeatureSignalIndex:
        return LocalFeatureSignalIndex()

    # -- from pixels (``HashesImages``) -----------------------------------------------------
    def hash_image(self, image: Image.Image) -> ContentHash | None:
        features = extract_features(image)
        if features is None:
            return None
        return ContentHash(self.name, to_text(encode(features)))

    def query_image(self, image: Image.Image) -> QueryHash | None:
        """The query's features travel in ``detail`` (no base64 round trip), with a callable
        for its mirror image's that the index calls only when the picture itself matches
        nothing (an upload that matches as it is does not pay for its mirror)."""
        features, mirror = query_features(image)
        if features is None:
            return None
        value = to_text(encode(features))
        return QueryHash(
            ContentHash(self.name, value), (value,), detail={FEATURES: features, MIRROR: mirror}
        )
