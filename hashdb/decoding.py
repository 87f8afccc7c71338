"""Turning untrusted bytes into RGB pixels, fast and safely.

Owns every decision about hostile or odd files so the hashing code can assume a sane RGB image:

- size limit first (``FileTooLarge`` before a single byte is decoded);
- decompression bombs: the pixel count from the header is checked against
  ``HashLimits.max_image_pixels`` before ``load()``; Pillow's own ``DecompressionBombWarning`` /
  ``DecompressionBombError`` are caught too (tests run with warnings as errors, so warnings are
  recorded locally, never left to the global filter);
- truncated files and non-images become ``UnsupportedMedia`` naming the file and the reason
  (``ImageFile.LOAD_TRUNCATED_IMAGES`` is never set: it is global state);
- large JPEGs are decoded at reduced size with ``Image.draft()`` (libjpeg's DCT scaling: a 10 MP
  photo decodes and hashes about 2-3x faster) but never below ``DRAFT_MIN_SIDE`` pixels on the
  short side. Why 1024: PDQ's coefficients near the median flip when the image is shrunk further
  (we measured up to 8 bits at 256 px and 4 at 512 px, 0-2 at 1024 px on 1-10 MP photos), and we
  only take the fast path where it gives the same hash, to within the reference implementations'
  own resampling noise; pHash did not move at any of these sizes. benchmarks/bench_hashdb.py
  measures the agreement on every run;
- memory: one decode holds the decoded pixels (``decoded_bytes``: pixels x bytes per pixel of the
  mode Pillow stores, after the JPEG draft; refused before ``load()`` above
  ``HashLimits.max_decode_bytes``), then hashing works on a *working copy* made from it a band of
  rows at a time: converted to RGB and box-reduced by an integer factor (``working_factor``) so its
  short side stays at least ``DRAFT_MIN_SIDE`` where that is possible and it has at most
  ``WORK_MAX_PIXELS`` pixels. The decoded pixels are dropped before any hash is computed, so what
  PDQ, pHash and the variants allocate is bounded by the working copy, not by the file. Why: an
  86 KB grayscale PNG just under the pixel limit (89 MP, 89 MB decoded) used to cost 3.1 GB and
  50 s (RGB conversion, float buffers and mirrored copies at full size); it now costs about its
  decoded size. Animated files decode their first frame only, so frame count costs nothing.
  How many decodes run at once is the service's business (``hashdb.hashing_pool``);
- EXIF orientation is applied, so a phone photo hashes the way it is displayed;
- every mode hashes: palette and alpha images are composited over white (what a viewer sees),
  16-bit and float images are rescaled to 8 bits, CMYK/YCbCr/LAB are converted; animated
  GIF/WebP/PNG use their first frame.

Imports no adapter; Pillow and numpy only.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import cast

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from hashdb.errors import FileTooLarge, UnsupportedMedia

__all__ = [
    "DRAFT_MIN_SIDE",
    "WORK_MAX_PIXELS",
    "HashLimits",
    "check_size",
    "decode_image",
    "decoded_bytes",
    "to_rgb",
    "working_factor",
]

#: JPEGs are DCT-scaled so the short side stays at least this long (see module docstring).
DRAFT_MIN_SIDE = 1024
#: the working copy hashing reads has at most this many pixels (2048 x 2048): only very elongated
#: images reach it, the short-side rule reduces everything else further
WORK_MAX_PIXELS = 2048 * 2048
#: rows of decoded pixels converted at a time for the working copy (per reduced row: ``factor``)
_BAND_BYTES = 4 * 1024 * 1024
#: EXIF orientation -> the transpose that displays the picture upright (EXIF 2.3, tag 0x0112)
_ORIENTATION_TAG = 0x0112
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class HashLimits:
    """Limits that protect the hashing pipeline (from ``hashdb`` settings).

    ``max_decode_bytes`` bounds the decoded pixels of one image or video frame
    (``decoded_bytes``; 256 MiB: any 8-bit grayscale or palette image under the pixel limit, RGB
    or RGBA up to 67 MP; a large JPEG is judged at its draft size). ``max_concurrent_decodes``
    is how many files one ``HashService`` (so one process) hashes at once
    (``hashdb.hashing_pool``): the hashing memory of a process stays below about
    ``max_concurrent_decodes x max_decode_bytes`` plus the working copies.
    Video (``hashdb.video``): a frame is sampled every ``video_frame_interval_seconds``; hashing
    stops after ``video_max_seconds`` of video or ``video_max_frames`` sampled frames and says
    so (``VideoHash.cut_short``); a file taking longer than ``video_time_limit_seconds`` to
    decode is refused; a video streamed from a path may be up to ``video_max_file_bytes`` (bytes
    in memory stay under ``max_file_bytes``); one ``HashService`` hashes at most
    ``max_concurrent_videos`` videos at once, beside (not instead of) its picture decodes.
    Defaults: 4 hours at one frame a second, one video at a time.
    """

    max_file_bytes: int = 50 * 1024 * 1024
    max_image_pixels: int = 89_478_485
    video_frame_interval_seconds: float = 1.0
    max_decode_bytes: int = 256 * 1024 * 1024
    max_concurrent_decodes: int = 2
    video_max_frames: int = 14_400
    video_max_seconds: float = 4 * 3600.0
    video_time_limit_seconds: float = 900.0
    video_max_file_bytes: int = 8 * 1024**3
    max_concurrent_videos: int = 1


def check_size(size: int, *, name: str, limits: HashLimits) -> None:
    if size > limits.max_file_bytes:
        raise FileTooLarge(
            f"{name}: file is too large ({size:,} bytes; the limit is "
            f"{limits.max_file_bytes:,} bytes)"
        )


def decoded_bytes(mode: str, width: int, height: int) -> int:
    """Bytes Pillow allocates for ``width`` x ``height`` pixels of ``mode``.

    Pillow stores "1", "L" and "P" in one byte per pixel, the 16-bit modes in two, and every
    other mode (RGB included, and two-band LA/PA) in four.
    """
    if mode in ("1", "L", "P"):
        per_pixel = 1
    elif mode.startswith("I;16"):
        per_pixel = 2
    else:
        per_pixel = 4
    return per_pixel * width * height


def check_decoded_size(
    mode: str, width: int, height: int, *, name: str, limits: HashLimits
) -> None:
    """Refuse pixels whose decoded size would exceed ``limits.max_decode_bytes``."""
    size = decoded_bytes(mode, width, height)
    if size > limits.max_decode_bytes:
        raise UnsupportedMedia(
            f"{name}: refused: {width}x{height} {mode} pixels would take {size / 2**20:,.0f} MiB "
            f"to decode (the limit is {limits.max_decode_bytes / 2**20:,.0f} MiB)"
        )


def working_factor(width: int, height: int) -> int:
    """The integer reduction of the working copy: as much as keeps the short side at least
    ``DRAFT_MIN_SIDE``, and at least enough to bring it under ``WORK_MAX_PIXELS``."""
    by_side = min(width, height) // DRAFT_MIN_SIDE
    by_pixels = math.ceil(math.sqrt(width * height / WORK_MAX_PIXELS))
    return max(1, by_side, by_pixels)


def _bomb(name: str, width: int, height: int, limit: int) -> UnsupportedMedia:
    return UnsupportedMedia(
        f"{name}: refused as a possible decompression bomb ({width}x{height} = "
        f"{width * height:,} pixels; the limit is {limit:,})"
    )


def _pillow_bomb(name: str, exc: Exception) -> UnsupportedMedia:
    return UnsupportedMedia(f"{name}: refused as a possible decompression bomb ({exc})")


def decode_image(data: bytes, *, name: str, limits: HashLimits, draft: bool = True) -> Image.Image:
    """Decode the first frame of an image to the RGB working copy hashing reads, oriented as
    displayed (see the module docstring for its size).

    ``draft=False`` forces a full-size decode and conversion (the reference path used by tests
    and benchmarks; the decoded-size limit still applies). Raises UnsupportedMedia (or
    FileTooLarge) with a message naming ``name`` and the reason.
    """
    check_size(len(data), name=name, limits=limits)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise _pillow_bomb(name, exc) from None
        except UnidentifiedImageError:
            raise UnsupportedMedia(f"{name}: not an image (unrecognised file format)") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise UnsupportedMedia(f"{name}: not a valid image ({exc})") from None
        width, height = image.size
        bombed = any(issubclass(w.category, Image.DecompressionBombWarning) for w in caught)
        if bombed or width * height > limits.max_image_pixels:
            raise _bomb(name, width, height, limits.max_image_pixels)
        if width == 0 or height == 0:
            raise UnsupportedMedia(f"{name}: image has no pixels ({width}x{height})")
        try:
            if draft and image.format == "JPEG":
                _draft(image)
            check_decoded_size(image.mode, *image.size, name=name, limits=limits)
            image.load()
            if not draft:
                oriented: Image.Image = ImageOps.exif_transpose(image) or image
                return to_rgb(oriented)
            orientation = image.getexif().get(_ORIENTATION_TAG, 1)
            working = _working_copy(image)
            if working is not image:
                image.close()  # the decoded pixels go before any hash is computed
            upright = _UPRIGHT.get(orientation)
            return working.transpose(upright) if upright is not None else working
        except Image.DecompressionBombError as exc:
            raise _pillow_bomb(name, exc) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            reason = str(exc) or type(exc).__name__
            if "truncated" in reason or isinstance(exc, EOFError):
                raise UnsupportedMedia(f"{name}: truncated image file ({reason})") from None
            raise UnsupportedMedia(f"{name}: corrupt or unsupported image ({reason})") from None


def _draft(image: Image.Image) -> None:
    """Ask libjpeg for the smallest DCT scale that keeps the short side >= DRAFT_MIN_SIDE."""
    width, height = image.size
    short = min(width, height)
    if short < 2 * DRAFT_MIN_SIDE:
        return
    scale = short / DRAFT_MIN_SIDE
    image.draft("RGB", (max(1, int(width / scale)), max(1, int(height / scale))))


def _working_copy(image: Image.Image) -> Image.Image:
    """The decoded ``image`` in RGB, box-reduced by ``working_factor``, converted a band of rows
    at a time so no full-size converted copy ever exists.

    Bands are a multiple of the factor high, so the result is the same as reducing the whole
    converted image at once (``Image.reduce`` averages each factor x factor box, a partial box at
    the right and bottom edges from the pixels it has).
    """
    width, height = image.size
    factor = working_factor(width, height)
    if factor == 1:
        return to_rgb(image)
    value_range = _value_range(image)
    rows = max(1, _BAND_BYTES // max(1, decoded_bytes("RGB", width, factor))) * factor
    out = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    for top in range(0, height, rows):
        band = image.crop((0, top, width, min(height, top + rows)))
        out.paste(to_rgb(band, value_range=value_range).reduce(factor), (0, top // factor))
    return out


def _value_range(image: Image.Image) -> tuple[float, float] | None:
    """The whole image's value range for 32-bit integer and float modes (``to_rgb`` stretches it
    to 8 bits; a band's own range would stretch each band differently)."""
    if image.mode not in ("I", "F"):
        return None
    low, high = cast(tuple[float, float], image.getextrema())  # one band: (lowest, highest)
    return float(low), float(high)


def to_rgb(image: Image.Image, *, value_range: tuple[float, float] | None = None) -> Image.Image:
    """Any Pillow mode to 8-bit RGB, compositing transparency over white.

    16-bit images are scaled from their full range; 32-bit integer and float images from
    ``value_range`` (their own lowest and highest value when None).
    """
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        pixels = np.array(image, dtype=np.float64)  # a copy of our own: scaled in place
        if mode.startswith("I;16"):
            low, high = 0.0, 65535.0
        elif value_range is not None:
            low, high = value_range
        else:
            low, high = float(pixels.min()), float(pixels.max())
        pixels -= low
        pixels *= 255.0 / max(high - low, 1e-9)
        pixels += 0.5
        np.clip(pixels, 0, 255, out=pixels)
        gray = Image.fromarray(pixels.astype(np.uint8), mode="L")
        return gray.convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info
    )
    if mode == "1" or mode == "P" and not has_alpha:
        return image.convert("RGB")
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    try:
        return image.convert("RGB")
    except ValueError:
        # Pillow has no direct path for a few modes (LAB, HSV): hash the first channel
        # (lightness for LAB), which carries the structure PDQ and pHash look at.
        return image.getchannel(0).convert("RGB")
