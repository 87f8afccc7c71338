"""The concrete signal types crisisbot ships: PDQ, pHash, MD5 and SHA-256.

Why these thresholds:

- **PDQ 31** (of 256 bits): the value Meta publishes with PDQ and that GIFCT members use; below it
  false positives are rare on real photo collections.
- **pHash 10** (of 64 bits, imagehash's DCT pHash): about the same fraction of the hash as PDQ's
  31/256 (15.6 % vs 12 %). imagehash's 64-bit pHash is noisier than PDQ, so a slightly larger share
  is needed for re-encoded and resized copies to keep matching; at 10 unrelated natural photos still
  sit far away (the distribution of unrelated pairs is centred on 32). Lists that need it stricter
  set their own threshold.
- **MD5 / SHA-256 0**: cryptographic digests only say "the very same file".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from hashdb.content_hash import PDQ_MIN_QUALITY, HashVariant
from hashdb.errors import InvalidArgument, LowQualityHash
from hashdb.signals.base import HexHammingSignal
from hashdb.signals.indexes import ExactSignalIndex, HammingSignalIndex
from hashdb.variants import VARIANT_KINDS, VARIANT_RADIUS

__all__ = [
    "PDQ_MIN_QUALITY",
    "DigestSignal",
    "Md5Signal",
    "PdqSignal",
    "PerceptualSignal",
    "PhashSignal",
    "Sha256Signal",
]

#: a genuine PDQ hash has about half its bits set (each bit is "above the median"); hashes far
#: from that come from degenerate images and are treated as low quality when no score is known
_PDQ_MIN_ONES, _PDQ_MAX_ONES = 64, 192
#: stored variants per entry, at most (a few per kind: more is a caller's bug, not content)
_MAX_VARIANTS = 4 * len(VARIANT_KINDS)


class PerceptualSignal(HexHammingSignal):
    """A perceptual hash searched by Hamming radius, with stored variants (``hashdb.variants``).

    ``variant_radius`` (``VARIANT_RADIUS``): the largest distance at which a stored variant of an
    entry counts as a match of the entry.
    """

    variant_radius: ClassVar[int]

    def check_variants(
        self, variants: Sequence[HashVariant], *, allow_low_quality: bool
    ) -> tuple[HashVariant, ...]:
        """Known kinds, valid values of this type, nothing ``check_stored`` refuses, not too
        many."""
        if not variants:
            return ()
        if len(variants) > _MAX_VARIANTS:
            raise InvalidArgument(f"at most {_MAX_VARIANTS} variants per entry")
        checked = []
        for variant in variants:
            if not isinstance(variant, HashVariant) or variant.kind not in VARIANT_KINDS:
                kind = getattr(variant, "kind", variant)
                raise InvalidArgument(
                    f"unknown variant kind {kind!r} (expected one of {', '.join(VARIANT_KINDS)})"
                )
            value = self.parse(variant.value)
            self.check_stored(value, quality=None, allow_low_quality=allow_low_quality)
            checked.append(HashVariant(variant.kind, value))
        return tuple(dict.fromkeys(checked))

    def new_index(self) -> HammingSignalIndex:
        return HammingSignalIndex(
            self.bits, variant_kinds=VARIANT_KINDS, variant_radius=self.variant_radius
        )


class DigestSignal(HexHammingSignal):
    """A cryptographic digest of the file bytes: the very same file only."""

    default_threshold = 0
    exact = True

    def check_variants(
        self, variants: Sequence[HashVariant], *, allow_low_quality: bool
    ) -> tuple[HashVariant, ...]:
        if variants:
            raise InvalidArgument(f"{self.name} hashes have no variants (exact matches only)")
        return ()

    def new_index(self) -> ExactSignalIndex:
        return ExactSignalIndex()


class PdqSignal(PerceptualSignal):
    """Meta's PDQ: 256-bit perceptual hash with a 0-100 quality score.

    Refuses to store a low-quality hash (quality below ``PDQ_MIN_QUALITY``, or, with no score,
    far from half its bits set) unless the caller allows it: it comes from a flat or near-blank
    image and would match unrelated content.
    """

    name = "pdq"
    bits = 256
    default_threshold = 31
    variant_radius = VARIANT_RADIUS["pdq"]
    aliases = ("hash_pdq", "pdq_hash", "photo_pdq")

    def check_stored(self, value: str, *, quality: int | None, allow_low_quality: bool) -> None:
        if allow_low_quality:
            return
        if quality is not None and quality < PDQ_MIN_QUALITY:
            raise LowQualityHash(
                f"PDQ hash {value} has quality {quality} (below {PDQ_MIN_QUALITY}): it comes from "
                "a flat or near-blank image and would match unrelated content; add it only "
                "deliberately (allow_low_quality / --allow-low-quality)"
            )
        ones = int(value, 16).bit_count()
        if not _PDQ_MIN_ONES <= ones <= _PDQ_MAX_ONES:
            raise LowQualityHash(
                f"PDQ hash {value} has {ones} of 256 bits set (a real PDQ hash has about 128): "
                "it is degenerate and would match unrelated content; add it only deliberately "
                "(allow_low_quality / --allow-low-quality)"
            )


class PhashSignal(PerceptualSignal):
    """imagehash's DCT pHash: 64 bits, 16 hex digits."""

    name = "phash"
    bits = 64
    default_threshold = 10
    variant_radius = VARIANT_RADIUS["phash"]
    aliases = ("hash_phash", "imagehash_phash")


class Md5Signal(DigestSignal):
    """MD5 of the file bytes: exact copies only."""

    name = "md5"
    bits = 128
    aliases = ("hash_md5", "video_md5", "photo_md5")


class Sha256Signal(DigestSignal):
    """SHA-256 of the file bytes: exact copies only."""

    name = "sha256"
    bits = 256
    aliases = ("hash_sha256", "sha-256")
