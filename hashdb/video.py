"""Video: PDQ of sampled frames, decoded with PyAV.

A frame is sampled every ``video_frame_interval_seconds`` (at most ``video_max_frames``), hashed
with PDQ, and kept if it is not within ``DISTINCT_FRAME_DISTANCE`` of a frame already kept, so a
static shot yields one hash instead of hundreds. Frame size is checked against
``max_image_pixels`` before decoding. Only containers recognised by their magic bytes (MP4/MOV,
Matroska/WebM, AVI, FLV, MPEG-TS) are treated as video; everything else goes to the image decoder,
whose "not an image" error is clearer than FFmpeg's guesses.
"""

from __future__ import annotations

import io

import av

from hashdb.content_hash import ContentHash
from hashdb.decoding import HashLimits
from hashdb.errors import UnsupportedMedia
from hashdb.perceptual import pdq_hash
from hashdb.signals import get_signal

__all__ = ["DISTINCT_FRAME_DISTANCE", "hash_video", "looks_like_video"]

#: frames closer than this to an already kept frame are dropped as repeats
DISTINCT_FRAME_DISTANCE = 8


#: ISO-BMFF brands that are still images (AVIF/HEIF), not video
_IMAGE_BRANDS = (b"avif", b"avis", b"heic", b"heix", b"mif1", b"msf1")


def looks_like_video(data: bytes) -> bool:
    head = data[:16]
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS:
        return True
    if head.startswith(b"\x1aE\xdf\xa3"):  # Matroska / WebM
        return True
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return True
    if head.startswith(b"FLV"):
        return True
    return len(data) > 376 and data[0] == 0x47 and data[188] == 0x47 and data[376] == 0x47


def hash_video(data: bytes, *, name: str, limits: HashLimits) -> list[ContentHash]:
    """Distinct frame PDQ hashes (``ContentHash`` with ``frame_seconds``)."""
    pdq = get_signal("pdq")
    kept: list[ContentHash] = []
    next_time = 0.0
    sampled = 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise UnsupportedMedia(f"{name}: no video stream")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if width * height > limits.max_image_pixels:
                raise UnsupportedMedia(
                    f"{name}: refused as a possible decompression bomb (video frames of "
                    f"{width}x{height} pixels; the limit is {limits.max_image_pixels:,})"
                )
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                seconds = float(frame.time) if frame.time is not None else sampled * 1.0
                if seconds + 1e-9 < next_time:
                    continue
                next_time = seconds + limits.video_frame_interval_seconds
                sampled += 1
                # PyAV's stub leaves to_image() unannotated (it returns a PIL image)
                image = frame.to_image()  # type: ignore[no-untyped-call]
                if image.width * image.height > limits.max_image_pixels:
                    raise UnsupportedMedia(f"{name}: refused: frame larger than the pixel limit")
                h = pdq_hash(image)
                if all(pdq.distance(h.value, k.value) > DISTINCT_FRAME_DISTANCE for k in kept):
                    kept.append(ContentHash("pdq", h.value, h.quality, round(seconds, 3)))
                if sampled >= limits.video_max_frames:
                    break
    except UnsupportedMedia:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise UnsupportedMedia(f"{name}: cannot decode video ({exc})") from None
    if not kept:
        raise UnsupportedMedia(f"{name}: video has no decodable frames")
    return kept
