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
- EXIF orientation is applied, so a phone photo hashes the way it is displayed;
- every mode hashes: palette and alpha images are composited over white (what a viewer sees),
  16-bit and float images are rescaled to 8 bits, CMYK/YCbCr/LAB are converted; animated
  GIF/WebP/PNG use their first frame.

Imports no adapter; Pillow and numpy only.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from hashdb.errors import FileTooLarge, UnsupportedMedia

__all__ = ["DRAFT_MIN_SIDE", "HashLimits", "check_size", "decode_image", "to_rgb"]

#: JPEGs are DCT-scaled so the short side stays at least this long (see module docstring).
DRAFT_MIN_SIDE = 1024


@dataclass(frozen=True)
class HashLimits:
    """Limits that protect the hashing pipeline (from ``hashdb`` settings)."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_image_pixels: int = 89_478_485
    video_frame_interval_seconds: float = 1.0
    video_max_frames: int = 300


def check_size(size: int, *, name: str, limits: HashLimits) -> None:
    if size > limits.max_file_bytes:
        raise FileTooLarge(
            f"{name}: file is too large ({size:,} bytes; the limit is "
            f"{limits.max_file_bytes:,} bytes)"
        )


def _bomb(name: str, width: int, height: int, limit: int) -> UnsupportedMedia:
    return UnsupportedMedia(
        f"{name}: refused as a possible decompression bomb ({width}x{height} = "
        f"{width * height:,} pixels; the limit is {limit:,})"
    )


def _pillow_bomb(name: str, exc: Exception) -> UnsupportedMedia:
    return UnsupportedMedia(f"{name}: refused as a possible decompression bomb ({exc})")


def decode_image(data: bytes, *, name: str, limits: HashLimits, draft: bool = True) -> Image.Image:
    """Decode the first frame of an image to RGB, oriented as displayed.

    ``draft=False`` forces a full-size decode (the reference path used by tests and benchmarks).
    Raises UnsupportedMedia (or FileTooLarge) with a message naming ``name`` and the reason.
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
            image.load()
            oriented: Image.Image = ImageOps.exif_transpose(image) or image
            return to_rgb(oriented)
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


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB, compositing transparency over white."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        if mode.startswith("I;16"):
            low, high = 0.0, 65535.0
        else:
            low, high = float(pixels.min()), float(pixels.max())
        scaled = (pixels - low) * (255.0 / max(high - low, 1e-9))
        gray = Image.fromarray(np.clip(scaled + 0.5, 0, 255).astype(np.uint8), mode="L")
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
