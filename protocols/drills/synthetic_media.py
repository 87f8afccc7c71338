"""Deterministic synthetic pictures for drill uploads, and the edits that make variants of them.

Drills must never circulate real perpetrator content, yet uploads must behave like real ones under
perceptual hashing: a picture made from a seed is the same on every machine and every run, and its
edited variants (crop, mirror, re-encode...) stay close to it while other seeds land far away.
The pictures are abstract (gradients and shapes) and carry a visible "DRILL" band.

Imports nothing from the rest of crisisbot (numpy and Pillow only).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from protocols.drills.scenario import EDIT_DEFAULTS, EDIT_KINDS, EDIT_LIMITS, ImageEdit

__all__ = ["apply_edits", "render_seed_image", "upload_image_bytes"]

WIDTH, HEIGHT = 640, 480


def render_seed_image(seed: int) -> Image.Image:
    """An RGB picture that depends only on ``seed``: a gradient, blocks, discs and a DRILL band."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    base = np.empty((HEIGHT, WIDTH, 3), dtype=np.float32)
    for channel in range(3):
        fx, fy, phase = rng.uniform(0.2, 1.2), rng.uniform(0.2, 1.2), rng.uniform(0, 2 * np.pi)
        wave = np.sin(2 * np.pi * (fx * x / WIDTH + fy * y / HEIGHT) + phase)
        base[..., channel] = 128 + 100 * wave
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(5, 9))):
        x0, y0 = int(rng.integers(0, WIDTH - 40)), int(rng.integers(0, HEIGHT - 40))
        w, h = (
            int(rng.integers(WIDTH // 5, WIDTH // 2)),
            int(rng.integers(HEIGHT // 5, HEIGHT // 2)),
        )
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        box = (x0, y0, min(WIDTH - 1, x0 + w), min(HEIGHT - 1, y0 + h))
        if rng.random() < 0.5:
            draw.rectangle(box, fill=colour)
        else:
            draw.ellipse(box, fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(4))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, HEIGHT - 28, WIDTH, HEIGHT), fill=(0, 0, 0))
    draw.text((8, HEIGHT - 22), f"DRILL - synthetic picture, seed {seed}", fill=(255, 255, 255))
    return image


def _amount(edit: ImageEdit) -> float:
    value = EDIT_DEFAULTS[edit.kind] if edit.amount is None else edit.amount
    low, high = EDIT_LIMITS[edit.kind]
    if not low <= value <= high:
        raise ValueError(f"edit {edit.kind}: amount {value} outside {low}..{high}")
    return float(value)


def apply_edits(image: Image.Image, edits: Iterable[ImageEdit]) -> Image.Image:
    """Apply edits in order (see ``EDIT_KINDS``); ``reencode`` round-trips through JPEG."""
    for edit in edits:
        if edit.kind not in EDIT_KINDS:
            raise ValueError(f"unknown edit {edit.kind!r}")
        if edit.kind == "mirror":
            image = ImageOps.mirror(image)
            continue
        amount = _amount(edit)
        if edit.kind == "crop":
            dx, dy = int(image.width * amount), int(image.height * amount)
            image = image.crop((dx, dy, image.width - dx, image.height - dy))
        elif edit.kind == "reencode":
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=int(amount))
            image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
        elif edit.kind == "resize":
            size = (max(8, round(image.width * amount)), max(8, round(image.height * amount)))
            image = image.resize(size, Image.Resampling.BILINEAR)
        elif edit.kind == "brightness":
            image = ImageEnhance.Brightness(image).enhance(amount)
        elif edit.kind == "rotate":
            image = image.rotate(amount, expand=True)
        elif edit.kind == "border":
            image = ImageOps.expand(image, border=int(amount), fill=(0, 0, 0))
    return image


@functools.lru_cache(maxsize=64)
def _png(seed: int, edits: tuple[ImageEdit, ...]) -> bytes:
    image = apply_edits(render_seed_image(seed), edits)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def upload_image_bytes(seed: int, edits: Iterable[ImageEdit] = ()) -> bytes:
    """PNG bytes of the seed picture with ``edits`` applied (deterministic for a given Pillow).

    Cached: the same upload recurs in every run of a scenario, and the bytes are immutable.
    """
    return _png(seed, tuple(edits))
