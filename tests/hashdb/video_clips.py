"""Video clips made from real photos, and the edits people make to videos, for tests and benchmarks.

A clip is a list of shots; each shot shows one of the photos bundled with scikit-image
(``tests.hashdb.photo_edits``: no network) through a moving camera: a pan and a zoom from one view
to another over its seconds, with hard cuts between shots, and a little sensor noise so the
encoder has real work. Clips are encoded with PyAV (H.264 in MP4 unless asked otherwise).

The edits (``EDITS``) take the original clip's bytes, decode it, change it the way re-uploads do,
and encode it again, as a platform would receive it: re-encode (smaller, another codec, another
frame rate), trim, speed change, letterbox, 9:16 with a blurred fill, crop, mirror, watermark,
picture-in-picture over another video, and a screen recording with an app's UI around the player.
Each edit says where its content sits in both videos (``Edited.query`` / ``Edited.stored``, in
seconds), so tests can check the time ranges a match reports.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tests.hashdb.photo_edits import load_photo

__all__ = [
    "CLIPS",
    "EDITS",
    "OTHER_CLIPS",
    "Edit",
    "Edited",
    "Shot",
    "decode_frames",
    "SHORT_SHOTS",
    "encode",
    "flip_bits",
    "long_shots",
    "make_clip",
    "random_pdq",
    "render",
    "short_clip",
    "transcode",
]

#: (centre x, centre y, view width), as fractions of the photo's width / height / width
View = tuple[float, float, float]


@dataclass(frozen=True)
class Shot:
    """``seconds`` of ``photo`` seen through a camera moving from view ``start`` to ``end``."""

    photo: str
    seconds: float
    start: View = (0.5, 0.5, 0.8)
    end: View = (0.5, 0.5, 0.8)


def _clip(*shots: tuple[str, float, View, View]) -> tuple[Shot, ...]:
    return tuple(Shot(*shot) for shot in shots)


#: clips stored in the tests and the benchmark: pans and zooms over real photos, cut together
CLIPS: dict[str, tuple[Shot, ...]] = {
    "street": _clip(
        ("astronaut.png", 6, (0.45, 0.45, 0.7), (0.55, 0.4, 0.6)),
        ("coffee.png", 5, (0.5, 0.5, 0.9), (0.5, 0.5, 0.65)),
        ("chelsea.png", 6, (0.4, 0.5, 0.7), (0.6, 0.5, 0.7)),
        ("motorcycle_left.png", 7, (0.5, 0.55, 0.6), (0.45, 0.5, 0.85)),
    ),
    "harbour": _clip(
        ("rocket.jpg", 7, (0.5, 0.5, 0.6), (0.5, 0.45, 0.8)),
        ("retina.jpg", 5, (0.3, 0.4, 0.4), (0.45, 0.45, 0.4)),
        ("hubble_deep_field.jpg", 6, (0.5, 0.5, 0.5), (0.55, 0.5, 0.45)),
        ("clock_motion.png", 6, (0.5, 0.5, 0.9), (0.5, 0.5, 0.7)),
    ),
}

#: a short clip (9 s of three shots) for the tests that need a real video but no edits of it
SHORT_SHOTS: tuple[Shot, ...] = _clip(
    ("astronaut.png", 3, (0.45, 0.45, 0.7), (0.5, 0.45, 0.65)),
    ("coffee.png", 3, (0.5, 0.5, 0.9), (0.5, 0.5, 0.8)),
    ("chelsea.png", 3, (0.4, 0.5, 0.7), (0.45, 0.5, 0.7)),
)

#: clips that share no photo with ``CLIPS``: the unrelated videos
OTHER_CLIPS: dict[str, tuple[Shot, ...]] = {
    "studio": _clip(
        ("camera.png", 6, (0.5, 0.5, 0.8), (0.45, 0.45, 0.6)),
        ("coins.png", 6, (0.4, 0.5, 0.6), (0.6, 0.5, 0.6)),
        ("moon.png", 6, (0.5, 0.5, 0.7), (0.5, 0.55, 0.9)),
    ),
    "field": _clip(
        ("grass.png", 6, (0.5, 0.5, 0.7), (0.55, 0.5, 0.6)),
        ("ihc.png", 6, (0.5, 0.5, 0.8), (0.4, 0.45, 0.7)),
        ("cell.png", 6, (0.5, 0.4, 0.7), (0.5, 0.6, 0.7)),
    ),
    "backdrop": _clip(
        ("gravel.png", 6, (0.5, 0.5, 0.8), (0.5, 0.5, 0.6)),
        ("color.png", 6, (0.5, 0.5, 0.9), (0.5, 0.5, 0.7)),
        ("brick.png", 6, (0.5, 0.5, 0.6), (0.55, 0.55, 0.8)),
    ),
}


# -- rendering and encoding ----------------------------------------------------------------------
def _lerp(a: View, b: View, f: float) -> View:
    return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f)


def render(
    shots: Iterable[Shot], size: tuple[int, int], fps: int, *, noise: int = 3, seed: int = 0
) -> Iterator[np.ndarray]:
    """RGB frames (H x W x 3 uint8) of the shots at ``size`` and ``fps``."""
    width, height = size
    rng = np.random.default_rng(seed)
    # a few noise fields, taken in turn: fresh noise every frame costs more than the picture
    bank = [rng.integers(-noise, noise + 1, (height, width, 1), np.int16) for _ in range(5)]
    count_all = 0
    for shot in shots:
        photo = load_photo(shot.photo)
        scale = max(1.0, 2 * width / photo.width)
        big = photo.resize((round(photo.width * scale), round(photo.height * scale)))
        count = round(shot.seconds * fps)
        for k in range(count):
            cx, cy, view = _lerp(shot.start, shot.end, k / max(1, count - 1))
            box_w = view * big.width
            box_h = box_w * height / width
            if box_h > big.height:
                box_h = big.height
                box_w = box_h * width / height
            left = min(max(0.0, cx * big.width - box_w / 2), big.width - box_w)
            top = min(max(0.0, cy * big.height - box_h / 2), big.height - box_h)
            frame = big.resize(
                size, Image.Resampling.BILINEAR, box=(left, top, left + box_w, top + box_h)
            )
            if not noise:
                yield np.asarray(frame)
                continue
            count_all += 1
            pixels = np.asarray(frame, dtype=np.int16) + bank[count_all % len(bank)]
            yield np.clip(pixels, 0, 255).astype(np.uint8)


def encode(
    frames: Iterable[np.ndarray],
    fps: float,
    *,
    codec: str = "libx264",
    container: str = "mp4",
    crf: int = 23,
    options: dict[str, str] | None = None,
    path: str | None = None,
) -> bytes:
    """Frames to a video file's bytes (all frames the same size; H.264 wants even sides);
    with ``path``, written there instead (returns b"")."""
    buffer: io.BytesIO | str = path if path is not None else io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = None
        for pixels in frames:
            if stream is None:
                stream = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
                stream.height, stream.width = pixels.shape[:2]
                stream.pix_fmt = "yuv420p"
                opts = {"preset": "veryfast", "crf": str(crf)} if codec == "libx264" else {}
                if codec == "libvpx-vp9":
                    opts = {"crf": str(crf + 10), "b": "0", "deadline": "realtime", "cpu-used": "8"}
                stream.options = {**opts, **(options or {})}
            out.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        if stream is not None:
            out.mux(stream.encode(None))
    return buffer.getvalue() if isinstance(buffer, io.BytesIO) else b""


def long_shots(minutes: float, seed: int = 0) -> Iterator[Shot]:
    """Shots of 4-12 s panning over every photo in turn, for ``minutes`` (a long stream)."""
    rng = np.random.default_rng(seed)
    photos = [shot.photo for clip in CLIPS.values() for shot in clip]
    total = 0.0
    while total < minutes * 60:
        seconds = float(rng.integers(4, 13))
        cx, cy = rng.uniform(0.35, 0.65, 2)
        dx, dy = rng.uniform(-0.1, 0.1, 2)
        view = float(rng.uniform(0.5, 0.9))
        photo = photos[int(rng.integers(len(photos)))]
        yield Shot(photo, seconds, (cx, cy, view), (cx + dx, cy + dy, view * 0.9))
        total += seconds


def short_clip() -> bytes:
    """``SHORT_SHOTS`` at 160x90, 10 frames a second (~100 KB of H.264)."""
    return encode(render(SHORT_SHOTS, (160, 90), 10), 10)


def random_pdq(rng: random.Random) -> str:
    """A made-up PDQ hash (64 hex digits)."""
    return f"{rng.getrandbits(256):064x}"


def flip_bits(value: str, bits: int, rng: random.Random) -> str:
    """``value`` with ``bits`` of its 256 bits flipped at random."""
    number = int(value, 16)
    for bit in rng.sample(range(256), bits):
        number ^= 1 << bit
    return f"{number:064x}"


def make_clip(
    shots: Iterable[Shot], size: tuple[int, int] = (320, 180), fps: int = 15, **options: object
) -> bytes:
    """An encoded clip of ``shots`` (small and short by default: test clips stay cheap)."""
    return encode(render(shots, size, fps), fps, **options)  # type: ignore[arg-type]


def decode_frames(data: bytes) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds, RGB pixels) of every frame of a video's bytes."""
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(video=0):
            yield float(frame.time or 0.0), frame.to_ndarray(format="rgb24")


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def transcode(
    data: bytes,
    *,
    transform: Callable[[np.ndarray, float], np.ndarray] | None = None,
    start: float = 0.0,
    end: float | None = None,
    speed: float = 1.0,
    fps: float | None = None,
    **encode_options: object,
) -> bytes:
    """Decode ``data``, keep ``start``-``end`` (source seconds), play it ``speed`` times as fast
    at ``fps`` frames a second (the source's by default), ``transform`` each frame (pixels, output
    seconds), encode again."""
    frames = [(t, pixels) for t, pixels in decode_frames(data) if t >= start - 1e-6]
    if end is not None:
        frames = [(t, p) for t, p in frames if t < end - 1e-6]
    source_fps = (len(frames) - 1) / max(1e-6, frames[-1][0] - frames[0][0]) if frames else 15
    rate = fps or round(source_fps)
    length = (frames[-1][0] - frames[0][0] + 1 / source_fps) / speed
    times = np.array([t for t, _ in frames])

    def output() -> Iterator[np.ndarray]:
        for k in range(int(length * rate)):
            out_t = k / rate
            source_t = frames[0][0] + out_t * speed
            nearest = int(np.searchsorted(times, source_t + 1e-6, side="right")) - 1
            pixels = frames[max(0, nearest)][1]
            yield transform(pixels, out_t) if transform else pixels

    return encode(output(), rate, **encode_options)  # type: ignore[arg-type]


# -- frame edits ---------------------------------------------------------------------------------
def _image(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(pixels)


def _fit(image: Image.Image, width: int, height: int) -> Image.Image:
    return image.resize((_even(width), _even(height)), Image.Resampling.BILINEAR)


def letterbox(pixels: np.ndarray, _t: float) -> np.ndarray:
    """16:9 content in a 4:3 frame: black bars above and below."""
    h, w = pixels.shape[:2]
    canvas = Image.new("RGB", (w, _even(w * 3 / 4)), (0, 0, 0))
    canvas.paste(_image(pixels), (0, (canvas.height - h) // 2))
    return np.asarray(canvas)


def blurred_fill(pixels: np.ndarray, _t: float) -> np.ndarray:
    """9:16 vertical frame: the content across the middle, a blurred, darker, zoomed copy of it
    filling the rest (how landscape video is reposted to vertical platforms)."""
    h, w = pixels.shape[:2]
    out_w, out_h = _even(h * 9 / 16 * 1.5), _even(h * 1.5)
    image = _image(pixels)
    back = image.resize((_even(out_h * w / h), out_h), Image.Resampling.BILINEAR)
    left = (back.width - out_w) // 2
    back = back.crop((left, 0, left + out_w, out_h)).filter(ImageFilter.GaussianBlur(out_w / 25))
    back = Image.eval(back, lambda v: int(v * 0.7))
    front = _fit(image, out_w, out_w * h / w)
    back.paste(front, (0, (out_h - front.height) // 2))
    return np.asarray(back)


def crop(pixels: np.ndarray, _t: float) -> np.ndarray:
    """10 % cut off every side, scaled back up to the original size (a zoom to evade)."""
    h, w = pixels.shape[:2]
    box = (round(w * 0.1), round(h * 0.1), w - round(w * 0.1), h - round(h * 0.1))
    return np.asarray(_image(pixels).crop(box).resize((w, h), Image.Resampling.BILINEAR))


def mirror(pixels: np.ndarray, _t: float) -> np.ndarray:
    return np.ascontiguousarray(pixels[:, ::-1])


def watermark(pixels: np.ndarray, _t: float) -> np.ndarray:
    """A half-transparent channel logo and handle in the bottom-right corner."""
    image = _image(pixels).convert("RGBA")
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    w, h = image.size
    box = (round(w * 0.68), round(h * 0.8), round(w * 0.97), round(h * 0.95))
    draw.rounded_rectangle(box, radius=4, fill=(255, 255, 255, 110))
    draw.text((box[0] + 4, box[1] + 2), "@truthnews24", fill=(20, 20, 20, 200))
    return np.asarray(Image.alpha_composite(image, layer).convert("RGB"))


def screen_recording(pixels: np.ndarray, t: float) -> np.ndarray:
    """A phone's screen recorded while the video plays in an app: status bar, the player across
    the screen, a title, buttons and comments below, on a flat dark background."""
    h, w = pixels.shape[:2]
    screen_w = _even(w * 0.9)
    screen_h = _even(screen_w * 16 / 9)
    canvas = Image.new("RGB", (screen_w, screen_h), (24, 24, 28))
    draw = ImageDraw.Draw(canvas)
    draw.text((8, 4), "9:41", fill=(230, 230, 230))
    draw.text((screen_w - 40, 4), "5G 87%", fill=(230, 230, 230))
    player = _fit(_image(pixels), screen_w, screen_w * h / w)
    top = round(screen_h * 0.18)
    canvas.paste(player, (0, top))
    y = top + player.height + 10
    draw.text((8, y), "Watch before it is removed!!", fill=(240, 240, 240))
    for k, label in enumerate(("Like 12K", "Share", "Save")):
        draw.rounded_rectangle(
            (8 + k * 60, y + 18, 60 + k * 60, y + 34), radius=6, fill=(60, 60, 66)
        )
        draw.text((14 + k * 60, y + 21), label, fill=(230, 230, 230))
    for k in range(4):
        draw.text((8, y + 46 + k * 16), f"user{k}: comment number {k} ...", fill=(170, 170, 170))
    progress = min(1.0, t / 30)
    draw.rectangle(
        (0, top + player.height - 3, round(screen_w * progress), top + player.height),
        fill=(230, 30, 30),
    )
    return np.asarray(canvas)


def _picture_in_picture(background: bytes) -> Callable[[np.ndarray, float], np.ndarray]:
    """The content in a window over the top right of another video, with a white border (a news
    programme or a commentary stream showing the clip)."""
    backdrop = [pixels for _, pixels in decode_frames(background)]

    def edit(pixels: np.ndarray, t: float) -> np.ndarray:
        back = backdrop[min(len(backdrop) - 1, int(t * 15)) % len(backdrop)]
        h, w = back.shape[:2]
        canvas = _image(back).copy()
        inner = _fit(_image(pixels), w * 0.55, w * 0.55 * pixels.shape[0] / pixels.shape[1])
        x, y = w - inner.width - round(w * 0.04), round(h * 0.06)
        ImageDraw.Draw(canvas).rectangle(
            (x - 2, y - 2, x + inner.width + 1, y + inner.height + 1), fill=(255, 255, 255)
        )
        canvas.paste(inner, (x, y))
        return np.asarray(canvas)

    return edit


# -- edit families -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edited:
    """An edited copy and where its content sits: ``query`` seconds of the copy show ``stored``
    seconds of the original."""

    data: bytes
    query: tuple[float, float]
    stored: tuple[float, float]


#: (original bytes, its duration, another unrelated video's bytes) -> the edited copy
Edit = Callable[[bytes, float, bytes], Edited]


def _whole(transform: Callable[[np.ndarray, float], np.ndarray], **options: object) -> Edit:
    def edit(data: bytes, duration: float, _other: bytes) -> Edited:
        copy = transcode(data, transform=transform, **options)  # type: ignore[arg-type]
        return Edited(copy, (0, duration), (0, duration))

    return edit


def _reencode(data: bytes, duration: float, _other: bytes) -> Edited:
    """Smaller, VP9 in WebM, 24 frames a second, harder compression."""

    def shrink(pixels: np.ndarray, _t: float) -> np.ndarray:
        h, w = pixels.shape[:2]
        return np.asarray(_fit(_image(pixels), w * 0.75, h * 0.75))

    out = transcode(data, transform=shrink, fps=24, codec="libvpx-vp9", container="webm", crf=30)
    return Edited(out, (0, duration), (0, duration))


def _trim(data: bytes, duration: float, _other: bytes) -> Edited:
    start, end = round(duration * 0.3), round(duration * 0.75)
    return Edited(transcode(data, start=start, end=end), (0, end - start), (start, end))


def _speed(factor: float) -> Edit:
    def edit(data: bytes, duration: float, _other: bytes) -> Edited:
        return Edited(transcode(data, speed=factor), (0, duration / factor), (0, duration))

    return edit


def _pip(data: bytes, duration: float, other: bytes) -> Edited:
    return Edited(
        transcode(data, transform=_picture_in_picture(other)), (0, duration), (0, duration)
    )


EDITS: dict[str, Edit] = {
    "re-encode": _reencode,
    "trim": _trim,
    "speed 1.25x": _speed(1.25),
    "letterbox": _whole(letterbox),
    "9:16 blurred fill": _whole(blurred_fill),
    "crop": _whole(crop),
    "mirror": _whole(mirror),
    "watermark": _whole(watermark),
    "picture-in-picture": _pip,
    "screen recording": _whole(screen_recording),
}

#: the speed and frame-rate changes the issue asks for besides the benchmark's families
MORE_EDITS: dict[str, Edit] = {
    "speed 0.75x": _speed(0.75),
    "speed 1.5x": _speed(1.5),
    "frame rate 25": _whole(lambda pixels, _t: pixels, fps=25),
}
