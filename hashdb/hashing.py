"""Hashing bytes and files into every signal type crisisbot knows.

``hash_bytes`` is the one entry point the service, CLI and adapters use: for an image MD5 and
SHA-256 of the bytes, PDQ (with quality) and pHash; for a video one ``vpdq`` hash (``hashdb.video``:
a PDQ per sampled frame with its number, quality and time, and the file's MD5 and SHA-256 inside
it), so adding a video adds one entry; its index answers MD5, SHA-256 and picture PDQ queries.
Decoding decisions (limits, bombs, modes, EXIF, JPEG draft) live in ``hashdb.decoding``.
Pixel hashes live in ``hashdb.perceptual`` (re-exported here), the derived search hashes (crops
stored with an entry, trimmed borders searched for a query) in ``hashdb.variants``. A signal type
that hashes images itself (``hashdb.signals.HashesImages``, a local-feature type) is called for
every image after PDQ and pHash, so adding one does not edit this module.
"""

from __future__ import annotations

import dataclasses
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
from hashdb.video.container import VideoSource, container_format, looks_like_video
from hashdb.video.hasher import KeyFrames, hash_video, query_video
from hashdb.video.signal import video_query_hash

__all__ = [
    "ContentHash",
    "HashLimits",
    "QueryHash",
    "hash_bytes",
    "hash_bytes_for_query",
    "hash_file",
    "hash_path_for_query",
    "looks_like_video_file",
    "hash_image",
    "pdq_dihedral_variants",
    "pdq_hash",
    "phash_hash",
    "video_content_hash",
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
    """Every hash of ``data``: md5, sha256, pdq and phash, then the types that hash images
    themselves (local features; ``pixel_signals=False`` leaves them out: the benchmarks'
    baseline) for an image; one ``vpdq`` hash for a video.

    With ``variants=True`` an image's PDQ and pHash carry their store-side ``variants``
    (``hashdb.variants``), which ``add_entries`` stores with them so cropped and captioned copies
    match. Why opt-in: they cost about 20 ms an image, worth paying when content is added to a
    list, not when it is only hashed or checked. Raises FileTooLarge / UnsupportedMedia naming
    ``name``. The bytes are never stored.
    """
    limits = limits or HashLimits()
    check_size(len(data), name=name, limits=limits)
    if looks_like_video(data):
        return [video_content_hash(data, name=name, limits=limits)]
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
        return _video_queries(
            data, name=name, limits=limits, trim=trim_borders, pixel_signals=pixel_signals
        )
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


#: key frames of a query video that the types hashing images themselves (local features) search
VIDEO_KEY_FRAMES = 8


def _video_queries(
    source: VideoSource,
    *,
    name: str,
    limits: HashLimits,
    trim: bool = True,
    pixel_signals: bool = True,
) -> list[QueryHash]:
    """A video's queries: its MD5 and SHA-256, its ``vpdq`` query, and for up to
    ``VIDEO_KEY_FRAMES`` key frames spread over it what the pixel types search (local features:
    a stored picture cropped, turned or shown small inside the video; ``frame_seconds`` says
    which frame)."""
    signals = _pixel_signals() if pixel_signals else []
    keys = KeyFrames(VIDEO_KEY_FRAMES)
    hook = keys if signals else None
    query = query_video(
        source, name=name, limits=limits, trim=trim, on_key_frame=hook, max_key_frames=1 << 30
    )
    digests = [
        ContentHash("md5", query.video.md5 or ""),
        ContentHash("sha256", query.video.sha256 or ""),
    ]
    out = [*(QueryHash(h, (h.value,)) for h in digests), video_query_hash(query)]
    for seconds, pixels in keys.frames:
        image = Image.fromarray(pixels)
        for signal in signals:
            found = signal.query_image(image)
            if found is not None:
                at = dataclasses.replace(found.hash, frame_seconds=round(seconds, 3))
                out.append(dataclasses.replace(found, hash=at))
    return out


def looks_like_video_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a file that starts like a video container (OSError if unreadable)."""
    path = Path(path)
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        return container_format(handle.read(512)) is not None


def hash_path_for_query(
    path: str | os.PathLike[str], *, limits: HashLimits | None = None
) -> list[QueryHash]:
    """``hash_bytes_for_query`` of a file; a video is streamed from disk (up to
    ``video_max_file_bytes``), anything else read after the size check."""
    limits = limits or HashLimits()
    p = Path(path)
    try:
        if looks_like_video_file(p):
            return _video_queries(p, name=str(p), limits=limits)
    except OSError as exc:
        raise UnsupportedMedia(f"{p}: cannot read file ({exc.strerror or exc})") from None
    return hash_bytes_for_query(_read(p, limits), name=str(p), limits=limits)


def _read(p: Path, limits: HashLimits) -> bytes:
    """The bytes of a file that is not a video, after the size check."""
    try:
        if p.is_dir():
            raise UnsupportedMedia(f"{p}: is a directory, not a file")
        check_size(p.stat().st_size, name=str(p), limits=limits)
        return p.read_bytes()
    except OSError as exc:
        raise UnsupportedMedia(f"{p}: cannot read file ({exc.strerror or exc})") from None


def video_content_hash(
    source: VideoSource, *, name: str | None = None, limits: HashLimits | None = None
) -> ContentHash:
    """The ``vpdq`` hash of a video (bytes or a path, streamed): one value holding every frame,
    the duration, frame rate, MD5 and SHA-256 (``hashdb.video``), so a video is one entry."""
    return ContentHash("vpdq", hash_video(source, name=name, limits=limits).to_value())


def hash_file(
    path: str | os.PathLike[str], *, limits: HashLimits | None = None, variants: bool = False
) -> list[ContentHash]:
    """``hash_bytes`` of a file; the size limit is checked before the file is read. A video is
    streamed from disk instead (up to ``video_max_file_bytes``), never read whole."""
    limits = limits or HashLimits()
    p = Path(path)
    try:
        if looks_like_video_file(p):
            return [video_content_hash(p, name=str(p), limits=limits)]
    except OSError as exc:
        raise UnsupportedMedia(f"{p}: cannot read file ({exc.strerror or exc})") from None
    return hash_bytes(_read(p, limits), name=str(p), limits=limits, variants=variants)
