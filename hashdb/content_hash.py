"""``ContentHash``: one hash of one piece of content, the value every hashing function returns.

``HashVariant`` is a derived search value of the same signal type stored with an entry (the PDQ of
a crop of the original, say): see ``hashdb.variants``. ``QueryHash`` is a hash to look up with the
values searched for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PDQ_MIN_QUALITY", "ContentHash", "HashVariant", "QueryHash"]

#: PDQ quality below this (0-100) marks a hash as unreliable: Meta's reference tooling uses 50.
#: (Defined here, with ``ContentHash.low_quality``, so this module imports no other part of
#: hashdb; ``hashdb.signals`` re-exports it.)
PDQ_MIN_QUALITY = 50


@dataclass(frozen=True)
class HashVariant:
    """A derived hash of the same content and signal type, searched on behalf of its entry.

    ``kind`` names the derivation (``"crop-10"``: 10 % cut off every side; see
    ``hashdb.variants.VARIANT_KINDS``); ``value`` is the normalised hash.
    """

    kind: str
    value: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}


@dataclass(frozen=True)
class ContentHash:
    """One hash of one piece of content.

    ``quality`` is PDQ's 0-100 score (None for other types); ``frame_seconds`` is set for hashes of
    video frames (the frame's timestamp). ``variants`` are the store-side search hashes derived
    from the pixels (crops, trimmed borders; empty for videos, digests and hashes given as text):
    adding the hash with them lets cropped or captioned copies match. They are not part of the
    hash's identity (equality, ``to_dict``).
    """

    signal: str
    value: str
    quality: int | None = None
    frame_seconds: float | None = None
    variants: tuple[HashVariant, ...] = field(default=(), compare=False, repr=False)

    @property
    def low_quality(self) -> bool:
        return self.quality is not None and self.quality < PDQ_MIN_QUALITY

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"signal": self.signal, "value": self.value}
        if self.quality is not None:
            out["quality"] = self.quality
            out["low_quality"] = self.low_quality
        if self.frame_seconds is not None:
            out["frame_seconds"] = self.frame_seconds
        return out


@dataclass(frozen=True)
class QueryHash:
    """A hash to look up and the values to search for it (the 8 dihedral variants for image PDQ).

    ``detail`` carries query data a signal type's index needs beyond ``search_values`` (a video's
    frame timestamps, an image's keypoints); None for the shipped types.
    """

    hash: ContentHash
    search_values: tuple[str, ...]
    detail: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
