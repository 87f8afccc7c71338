"""Realistic synthetic photos for hashing tests: smooth lighting, large shapes, texture, noise.

Generated with numpy and Pillow from a seed, so tests need no binary fixtures and every seed is a
different "photo".
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def synthetic_photo(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    channels = []
    for _ in range(3):
        a, b, c = rng.uniform(-120, 120, 3)
        channels.append(128 + a * (x - 0.5) + b * (y - 0.5) + c * (x - 0.5) * (y - 0.5))
    image = Image.fromarray(np.clip(np.stack(channels, -1), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        rx, ry = rng.uniform(0.05, 0.3) * width, rng.uniform(0.05, 0.3) * height
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=colour)
        else:
            draw.rectangle([cx - rx, cy - ry, cx + rx, cy + ry], fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(max(width, height) / 200))
    pixels = np.asarray(image).astype(np.float64) + rng.normal(0, 6, (height, width, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def encode(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def crop_fraction(image: Image.Image, fraction: float) -> Image.Image:
    width, height = image.size
    dx, dy = int(width * fraction), int(height * fraction)
    return image.crop((dx, dy, width - dx, height - dy))


def flat_png(width: int, height: int, *, colour_type: int = 0, rows: int | None = None) -> bytes:
    """A PNG of ``width`` x ``height`` zero pixels (8-bit grayscale by default), compressed a row
    at a time: an 89 MP one is ~87 KB and never exists decoded in the test process. With
    ``rows``, only that many rows are there (a truncated file)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    channels = {0: 1, 2: 3}[colour_type]
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + width * channels)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(height if rows is None else rows))
    idat += compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
