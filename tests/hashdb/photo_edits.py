"""Real photos and the everyday edits people make to them, for robustness tests and the benchmark.

The photos are the natural ones bundled with scikit-image (its ``data`` directory, read as files:
no network, no scikit-image module imported beyond the package's ``__init__``). Each edit takes a
decoded RGB photo and returns the bytes a platform would receive.

``EVERYDAY`` is what the test suite requires to match its own original (on one perceptual signal
at least) without matching any other photo; ``HARD`` is measured and reported, and of it only
``COVERED`` (the small turns and the heavy crop that stored variants are made for, at angles other
than the stored 4 degrees) is required too.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from importlib.resources import files

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

__all__ = ["COVERED", "EVERYDAY", "HARD", "PHOTOS", "Edit", "load_photo", "photo_bytes"]

Edit = Callable[[Image.Image], bytes]

PHOTOS: tuple[str, ...] = (
    "astronaut.png",
    "camera.png",
    "chelsea.png",
    "coffee.png",
    "motorcycle_left.png",
    "rocket.jpg",
    "retina.jpg",
    "hubble_deep_field.jpg",
    "coins.png",
    "color.png",
    "moon.png",
)


def photo_bytes(name: str) -> bytes:
    """The file as shipped in scikit-image's data directory."""
    return (files("skimage") / "data" / name).read_bytes()


def load_photo(name: str) -> Image.Image:
    image = Image.open(io.BytesIO(photo_bytes(name)))
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, fmt, **options)
    return buffer.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    return _encode(image, quality=90)


def _scaled(factor: float) -> Edit:
    def edit(image: Image.Image) -> bytes:
        size = (round(image.width * factor), round(image.height * factor))
        return _encode(image.resize(size, Image.Resampling.LANCZOS), quality=85)

    return edit


def _cropped(left: float, top: float, right: float, bottom: float) -> Edit:
    """Cut these fractions of the width/height off each side."""

    def edit(image: Image.Image) -> bytes:
        w, h = image.size
        box = (round(w * left), round(h * top), w - round(w * right), h - round(h * bottom))
        return _jpeg(image.crop(box))

    return edit


def _centre(fraction: float) -> Edit:
    return _cropped(fraction, fraction, fraction, fraction)


def _letterbox(image: Image.Image) -> bytes:
    """Black bars above and below (a 16:9 video frame around a photo, say)."""
    canvas = Image.new("RGB", (image.width, round(image.height * 1.4)), (0, 0, 0))
    canvas.paste(image, (0, round(image.height * 0.2)))
    return _jpeg(canvas)


def _screenshot(image: Image.Image) -> bytes:
    """The photo pasted on a larger light-grey canvas, saved as PNG."""
    canvas = Image.new("RGB", (round(image.width * 1.2), round(image.height * 1.5)), (240,) * 3)
    canvas.paste(image, (round(image.width * 0.1), round(image.height * 0.25)))
    return _encode(canvas, "PNG")


def _caption_bar(image: Image.Image) -> bytes:
    """A black bar over the bottom eighth with white caption text."""
    captioned = image.copy()
    draw = ImageDraw.Draw(captioned)
    w, h = captioned.size
    draw.rectangle([0, h - h // 8, w, h], fill=(0, 0, 0))
    draw.text((10, h - h // 10), "BREAKING NEWS share before it is deleted", fill=(255,) * 3)
    return _jpeg(captioned)


def _straightened(degrees: float) -> Edit:
    """Turned counter-clockwise, then cropped to the largest centred box of the same shape that the
    turned photo covers (a phone's straighten tool)."""

    def edit(image: Image.Image) -> bytes:
        w, h = image.size
        angle = math.radians(abs(degrees))
        scale = min(
            w / (w * math.cos(angle) + h * math.sin(angle)),
            h / (w * math.sin(angle) + h * math.cos(angle)),
        )
        kw, kh = w * scale, h * scale
        box = (round((w - kw) / 2), round((h - kh) / 2), round((w + kw) / 2), round((h + kh) / 2))
        return _jpeg(image.rotate(degrees, Image.Resampling.BICUBIC).crop(box))

    return edit


def _enhanced(kind: type[ImageEnhance._Enhance], factor: float) -> Edit:
    return lambda image: _jpeg(kind(image).enhance(factor))  # type: ignore[call-arg]


def _transposed(method: Image.Transpose) -> Edit:
    return lambda image: _jpeg(image.transpose(method))


EVERYDAY: dict[str, Edit] = {
    "jpeg q50": lambda image: _encode(image, quality=50),
    "jpeg q20": lambda image: _encode(image, quality=20),
    "webp q60": lambda image: _encode(image, "WEBP", quality=60),
    "resize 50%": _scaled(0.5),
    "resize 25%": _scaled(0.25),
    "upscale 170%": _scaled(1.7),
    "mirror": _transposed(Image.Transpose.FLIP_LEFT_RIGHT),
    "crop 5%/side": _centre(0.05),
    "crop 10%/side": _centre(0.10),
    "letterbox bars": _letterbox,
    "screenshot canvas": _screenshot,
    "caption bar": _caption_bar,
    "brightness +20%": _enhanced(ImageEnhance.Brightness, 1.2),
    "brightness -30%": _enhanced(ImageEnhance.Brightness, 0.7),
    "contrast +30%": _enhanced(ImageEnhance.Contrast, 1.3),
    "saturation +50%": _enhanced(ImageEnhance.Color, 1.5),
    "grayscale": lambda image: _jpeg(ImageOps.grayscale(image)),
    "blur r2": lambda image: _jpeg(image.filter(ImageFilter.GaussianBlur(2))),
    "sharpen": lambda image: _jpeg(image.filter(ImageFilter.SHARPEN)),
}

HARD: dict[str, Edit] = {
    "rotate 90": _transposed(Image.Transpose.ROTATE_90),
    "rotate 180": _transposed(Image.Transpose.ROTATE_180),
    "flip vertical": _transposed(Image.Transpose.FLIP_TOP_BOTTOM),
    "rotate 3 deg": lambda image: _jpeg(image.rotate(3)),
    "crop 3%/side": _centre(0.03),
    "crop 7%/side": _centre(0.07),
    "crop 15%/side": _centre(0.15),
    "crop 20%/side": _centre(0.20),
    "cut top 8%": _cropped(0, 0.08, 0, 0),
    "cut bottom 10%": _cropped(0, 0, 0, 0.10),
    "crop left 10%": _cropped(0.10, 0, 0, 0),
    "mirror + crop 5%": lambda image: _centre(0.05)(
        image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    ),
    "brightness +30%": _enhanced(ImageEnhance.Brightness, 1.3),
    "contrast +50%": _enhanced(ImageEnhance.Contrast, 1.5),
    "rotate -5 deg": lambda image: _jpeg(image.rotate(-5)),
    "rotate 8 deg": lambda image: _jpeg(image.rotate(8)),
    "straighten 3 deg": _straightened(3),
    "straighten -5 deg": _straightened(-5),
    "crop 25%/side": _centre(0.25),
}

#: the ``HARD`` edits the tests require as well (``hashdb.variants``: the pHash of 4-degree turns,
#: black-cornered and straightened, and a 20 % centre crop)
COVERED: tuple[str, ...] = (
    "rotate 3 deg",
    "rotate -5 deg",
    "straighten 3 deg",
    "straighten -5 deg",
    "crop 20%/side",
)
