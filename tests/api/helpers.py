"""Hashes and files for the API tests."""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import Image


def pdq(seed: int) -> str:
    return f"{random.Random(seed).getrandbits(256):064x}"


def flip(value: str, bits: int) -> str:
    """``value`` with its lowest ``bits`` bits inverted (Hamming distance ``bits``)."""
    number = int(value, 16) ^ ((1 << bits) - 1)
    return f"{number:0{len(value)}x}"


def png_image(seed: int = 1, size: int = 96) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (size, size))
    image.putdata(
        [
            (x * 2 + rng.randrange(40), y * 2 + rng.randrange(40), (x * y) % 256)
            for y in range(size)
            for x in range(size)
        ]
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels."""
    real = png_image(size=8)
    ihdr_at = real.index(b"IHDR")
    header = bytearray(real[ihdr_at + 4 : ihdr_at + 17])
    header[0:8] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(header)) & 0xFFFFFFFF)
    return real[: ihdr_at + 4] + bytes(header) + crc + real[ihdr_at + 21 :]
