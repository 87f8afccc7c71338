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

from hashdb.signals.base import HexHammingSignal

__all__ = ["Md5Signal", "PdqSignal", "PhashSignal", "Sha256Signal", "PDQ_MIN_QUALITY"]

#: PDQ quality below this (0-100) marks a hash as unreliable: Meta's reference tooling uses 50.
PDQ_MIN_QUALITY = 50


class PdqSignal(HexHammingSignal):
    """Meta's PDQ: 256-bit perceptual hash with a 0-100 quality score."""

    name = "pdq"
    bits = 256
    default_threshold = 31
    aliases = ("hash_pdq", "pdq_hash", "photo_pdq")


class PhashSignal(HexHammingSignal):
    """imagehash's DCT pHash: 64 bits, 16 hex digits."""

    name = "phash"
    bits = 64
    default_threshold = 10
    aliases = ("hash_phash", "imagehash_phash")


class Md5Signal(HexHammingSignal):
    """MD5 of the file bytes: exact copies only."""

    name = "md5"
    bits = 128
    default_threshold = 0
    exact = True
    aliases = ("hash_md5", "video_md5", "photo_md5")


class Sha256Signal(HexHammingSignal):
    """SHA-256 of the file bytes: exact copies only."""

    name = "sha256"
    bits = 256
    default_threshold = 0
    exact = True
    aliases = ("hash_sha256", "sha-256")
