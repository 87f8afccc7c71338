"""Perceptual hashes of decoded pixels: PDQ (and its 8 dihedral variants) and pHash.

PDQ hex follows python-threatexchange: the 256-bit vector from ``pdqhash.compute``, first bit most
significant. Dihedral variants are computed from one DCT by ``pdqhash.compute_dihedral``, in the
order original, rot90, rot180, rot270, flip-vertical, flip-horizontal, rot90+flip-vertical,
rot90+flip-horizontal.
"""

from __future__ import annotations

import imagehash
import numpy as np
import pdqhash
from PIL import Image

from hashdb.content_hash import ContentHash

__all__ = ["hash_image", "pdq_dihedral_variants", "pdq_hash", "pdq_search_values", "phash_hash"]


def _pixels(image: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGB") if image.mode != "RGB" else image)
    return np.ascontiguousarray(image, dtype=np.uint8)


def _pdq_hex(vector: np.ndarray) -> str:
    return np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes().hex()


def pdq_hash(image: Image.Image | np.ndarray) -> ContentHash:
    """PDQ of an RGB image (Pillow image or HxWx3 uint8 array)."""
    vector, quality = pdqhash.compute(_pixels(image))
    return ContentHash("pdq", _pdq_hex(vector), int(quality))


def pdq_dihedral_variants(image: Image.Image | np.ndarray) -> list[ContentHash]:
    """The 8 PDQ hashes of the image's rotations and mirrors (original first).

    Querying with all eight finds mirrored and rotated copies of listed content. PDQ variants cannot
    be derived from a hash alone (the median threshold is per image), so this needs pixels.
    """
    vectors, quality = pdqhash.compute_dihedral(_pixels(image))
    return [ContentHash("pdq", _pdq_hex(v), int(quality)) for v in vectors]


def pdq_search_values(image: Image.Image | np.ndarray) -> list[str]:
    """The PDQ values a query searches for this picture: its 8 dihedral variants and the PDQ of
    its mirrored pixels.

    Why the mirrored pixels too: PDQ's dihedral variants come from one DCT of the image after its
    (asymmetric) Jarosz downsampling, so on small images they drift 20-40 bits from the PDQ of a
    really mirrored copy. Horizontal mirroring is the most common evasion edit, so one more hash
    of the mirrored pixels makes that case exact.
    """
    pixels = _pixels(image)
    values = [v.value for v in pdq_dihedral_variants(pixels)]
    values.append(pdq_hash(np.ascontiguousarray(pixels[:, ::-1])).value)
    return values


def phash_hash(image: Image.Image) -> ContentHash:
    """imagehash's 64-bit DCT pHash."""
    return ContentHash("phash", str(imagehash.phash(image)))


def hash_image(image: Image.Image) -> list[ContentHash]:
    """PDQ and pHash of a decoded RGB image."""
    return [pdq_hash(image), phash_hash(image)]
