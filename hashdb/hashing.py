"""Hashing bytes and files into every signal type crisisbot knows.

``hash_bytes`` is the one entry point the service, CLI and adapters use: MD5 and SHA-256 of the
bytes always; PDQ (with quality) and pHash for images; for videos one PDQ per distinct sampled
frame (signal ``"pdq"``, with ``frame_seconds`` set) so video frames match image lists directly.
Decoding decisions (limits, bombs, modes, EXIF, JPEG draft) live in ``hashdb.decoding``.
Pixel hashes live in ``hashdb.perceptual`` (re-exported here), the derived search hashes (crops
stored with an entry, trimmed borders searched for a query) in ``hashdb.variants``. A signal type
that hashes images itself (``hashdb.signals.HashesImages``, a local-feature type) is called for
every image after PDQ and pHash, so adding one does not edit this module.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PIL import Image

from hashdb.content_hash import ContentHash, QueryHash
from hashdb.decoding import HashLimits, check_size, decode_image
from hashdb.errors import UnsupportedMedia
from hashdb.perceptual import (
    hash_image,
    pdq_dihedral_variants,
    pdq_hash,
    pdq_search_values,
    phash_hash,
)
from hashdb.signals import SIGNALS, HashesImages
from hashdb.variants import content_box, with_variants
from hashdb.video import looks_like_video, video_frame_hashes

__all__ = [
    "ContentHash",
    "HashLimits",
    "QueryHash",
    "hash_bytes",
    "hash_bytes_for_query",
    "hash_file",
    "hash_image",
    "pdq_dihedral_variants",
    "pdq_hash",
    "phash_hash",
]


def _digests(data: bytes) -> list[ContentHash]:
    return [
        ContentHash("md5", hashlib.md5(data, usedforsecurity=False).hexdigest()),
        ContentHash("sha256", hashlib.sha256(data).hexdigest()),
    ]


def hash_bytes(
    data: bytes,
    *,
    name: str = "<upload>",
    limits: HashLimits | None = None,
    variants: bool = False,
    pixel_signals: bool = True,
) -> list[ContentHash]:
    """Every hash of ``data``: md5, sha256, then pdq + phash (image) or per-frame pdq (video),
    then the types that hash images themselves (local features; ``pixel_signals=False`` leaves
    them out: the benchmarks' baseline).

    With ``variants=True`` an image's PDQ and pHash carry their store-side ``variants``
    (``hashdb.variants``), which ``add_entries`` stores with them so cropped and captioned copies
    match. Why opt-in: they cost about 20 ms an image, worth paying when content is added to a
    list, not when it is only hashed or checked. Raises FileTooLarge / UnsupportedMedia naming
    ``name``. The bytes are never stored.
    """
    limits = limits or HashLimits()
    check_size(len(data), name=name, limits=limits)
    if looks_like_video(data):
        return _digests(data) + video_frame_hashes(data, name=name, limits=limits)
    image = decode_image(data, name=name, limits=limits)
    hashes = hash_image(image)
    if variants:
        hashes = with_variants(image, hashes)
    return _digests(data) + hashes + (_pixel_signal_hashes(image) if pixel_signals else [])


def _pixel_signals() -> list[HashesImages]:
    """Registered signal types that hash images themselves (``HashesImages``)."""
    return [signal for signal in SIGNALS if isinstance(signal, HashesImages)]


def _pixel_signal_hashes(image: Image.Image) -> list[ContentHash]:
    found = (signal.hash_image(image) for signal in _pixel_signals())
    return [h for h in found if h is not None]


def hash_bytes_for_query(
    data: bytes,
    *,
    name: str = "<upload>",
    limits: HashLimits | None = None,
    trim_borders: bool = True,
    pixel_signals: bool = True,
) -> list[QueryHash]:
    """Like ``hash_bytes``, but with every value worth searching for an image's PDQ and pHash.

    PDQ: the 8 dihedral variants and the PDQ of the mirrored pixels; pHash: that of the mirrored
    pixels. Both again for the content inside uniform borders (letterbox bars, a screenshot's
    canvas, a caption bar), when ``hashdb.variants.content_box`` finds any (``trim_borders=False``
    leaves that out: the benchmark's baseline). Then what the types that hash images themselves
    search (local features; ``pixel_signals=False`` leaves them out).
    """
    limits = limits or HashLimits()
    check_size(len(data), name=name, limits=limits)
    if looks_like_video(data):
        hashes = _digests(data) + video_frame_hashes(data, name=name, limits=limits)
        return [QueryHash(h, (h.value,)) for h in hashes]
    image = decode_image(data, name=name, limits=limits)
    pdq = pdq_hash(image)
    phash = phash_hash(image)
    pdq_values: list[str] = []
    phash_values: list[str] = []
    box = content_box(image) if trim_borders else None
    # The whole picture, and the content inside its borders: each searched as it is, in its 8
    # dihedral variants and with its mirrored pixels, so a mirrored copy in letterbox bars matches.
    for picture in (image, image.crop(box)) if box is not None else (image,):
        mirrored = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        pdq_values += pdq_search_values(picture)
        phash_values += [phash_hash(picture).value, phash_hash(mirrored).value]
    found = (signal.query_image(image) for signal in _pixel_signals() if pixel_signals)
    return [
        *(QueryHash(h, (h.value,)) for h in _digests(data)),
        QueryHash(pdq, tuple(dict.fromkeys(pdq_values))),
        QueryHash(phash, tuple(dict.fromkeys(phash_values))),
        *(q for q in found if q is not None),
    ]


def hash_file(
    path: str | os.PathLike[str], *, limits: HashLimits | None = None, variants: bool = False
) -> list[ContentHash]:
    """``hash_bytes`` of a file; the size limit is checked before the file is read."""
    limits = limits or HashLimits()
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise UnsupportedMedia(f"{p}: cannot read file ({exc.strerror or exc})") from None
    if p.is_dir():
        raise UnsupportedMedia(f"{p}: is a directory, not a file")
    check_size(size, name=str(p), limits=limits)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise UnsupportedMedia(f"{p}: cannot read file ({exc.strerror or exc})") from None
    return hash_bytes(data, name=str(p), limits=limits, variants=variants)
