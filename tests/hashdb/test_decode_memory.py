"""Hostile files under the pixel limit: bounded memory per decode, bounded decodes at once.

The memory figures come from a child process's own peak RSS (``VmHWM``): Pillow allocates
outside Python's allocator, so tracemalloc would not see the decoded pixels.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hashdb import HashLimits, UnsupportedMedia, get_signal, hash_bytes, open_hash_service
from hashdb.decoding import (
    DRAFT_MIN_SIDE,
    WORK_MAX_PIXELS,
    decode_image,
    decoded_bytes,
    to_rgb,
    working_factor,
)
from hashdb.perceptual import pdq_hash, phash_hash

from .imaging import encode, flat_png, synthetic_photo

ROOT = Path(__file__).resolve().parents[2]
PDQ = get_signal("pdq")
PHASH = get_signal("phash")


# -- one decode ---------------------------------------------------------------------------------
PEAK = r"""
import json, sys
from hashdb.hashing import hash_bytes, hash_bytes_for_query
from tests.hashdb.imaging import flat_png

def peak_kib():
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0])

data = flat_png(int(sys.argv[1]), int(sys.argv[2]))
before = peak_kib()
hash_bytes_for_query(data)           # an upload looked up
hash_bytes(data, variants=True)      # the same file added to a list
print(json.dumps({"before": before, "after": peak_kib(), "file": len(data)}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_a_grayscale_png_just_under_the_pixel_limit_costs_about_its_decoded_size() -> None:
    # the file: 86 KB, 9459 x 9459 = 89,472,681 pixels (the limit is 89,478,485); it
    # used to take 3.1 GB of memory (and 50 s) to hash, now about its 85 MiB of decoded pixels
    side = 9459
    assert side * side <= HashLimits().max_image_pixels
    result = subprocess.run(
        [sys.executable, "-c", PEAK, str(side), str(side)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=100,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["file"] < 100_000
    grown = (figures["after"] - figures["before"]) * 1024
    decoded = decoded_bytes("L", side, side)
    assert grown <= decoded + 96 * 2**20, f"hashing grew the peak by {grown / 2**20:.0f} MiB"


def test_pixels_too_big_to_decode_are_refused_before_decoding() -> None:
    # 9000 x 9000 RGB is under the pixel limit but would take 309 MiB decoded (Pillow keeps RGB
    # in four bytes a pixel); the header is all there is, so a decode would fail differently
    header_only = flat_png(9000, 9000, colour_type=2, rows=1)
    with pytest.raises(UnsupportedMedia, match=r"big\.png: refused: 9000x9000 RGB .*309 MiB"):
        hash_bytes(header_only, name="big.png")
    gray = flat_png(2000, 2000)
    limits = HashLimits(max_decode_bytes=2000 * 2000 - 1)
    with pytest.raises(UnsupportedMedia, match="the limit is"):
        hash_bytes(gray, name="gray.png", limits=limits)
    assert len(hash_bytes(gray, limits=HashLimits(max_decode_bytes=2000 * 2000))) == 4


def test_decoded_bytes_follow_pillows_storage() -> None:
    assert [decoded_bytes(mode, 10, 10) for mode in ("1", "L", "P", "I;16", "I;16B")] == [
        100,
        100,
        100,
        200,
        200,
    ]
    assert {decoded_bytes(mode, 10, 10) for mode in ("LA", "RGB", "RGBA", "CMYK", "I", "F")} == {
        400
    }


def test_the_working_copy_keeps_the_short_side_and_bounds_the_pixels() -> None:
    assert working_factor(1600, 1200) == 1
    assert working_factor(3000, 2200) == 2  # short side 1100 >= DRAFT_MIN_SIDE
    assert working_factor(9459, 9459) == 9
    for width, height in [(1024, 80_000), (300, 200_000), (9459, 9459), (5000, 2100)]:
        factor = working_factor(width, height)
        kept = (-(-width // factor), -(-height // factor))
        assert kept[0] * kept[1] <= 1.01 * WORK_MAX_PIXELS
        if min(width, height) >= DRAFT_MIN_SIDE and width * height <= 4 * WORK_MAX_PIXELS:
            assert min(kept) >= DRAFT_MIN_SIDE // 2


def _float_gradient() -> Image.Image:
    """A float image whose bands of rows have very different ranges: each band stretched on its
    own would look nothing like the whole."""
    photo = np.asarray(wide_photo().convert("L"), dtype=np.float32)
    height = photo.shape[0]
    return Image.fromarray(photo * np.linspace(0.01, 40.0, height, dtype=np.float32)[:, None])


WIDE = (4100, 1100)  # over WORK_MAX_PIXELS: reduced by 2, converted in several bands


@functools.cache
def wide_photo() -> Image.Image:
    return synthetic_photo(20, WIDE)


BAND_CASES: dict[str, Callable[[], bytes]] = {
    "RGB": lambda: encode(wide_photo(), "PNG"),
    "P_transparent": lambda: encode(wide_photo().quantize(64), "PNG", transparency=0),
    "LA": lambda: encode(wide_photo().convert("LA"), "PNG"),
    "I;16": lambda: encode(
        Image.fromarray(np.asarray(wide_photo().convert("L"), np.uint16) * 257), "PNG"
    ),
    "F": lambda: encode(_float_gradient(), "TIFF"),
}


@pytest.mark.parametrize("case", sorted(BAND_CASES))
def test_the_working_copy_is_the_whole_image_converted_then_reduced(case: str) -> None:
    data = BAND_CASES[case]()
    working = decode_image(data, name=case, limits=HashLimits())
    whole = to_rgb(Image.open(io.BytesIO(data))).reduce(2)
    assert working.size == whole.size == (2050, 550)
    assert np.array_equal(np.asarray(working), np.asarray(whole))


def test_a_large_png_hashes_like_a_full_decode() -> None:
    data = encode(wide_photo(), "PNG")
    limits = HashLimits()
    fast = decode_image(data, name="big.png", limits=limits)
    full = decode_image(data, name="big.png", limits=limits, draft=False)
    assert fast.size == (2050, 550) and full.size == WIDE
    assert PDQ.distance(pdq_hash(fast).value, pdq_hash(full).value) <= 4
    assert PHASH.distance(phash_hash(fast).value, phash_hash(full).value) <= 2


def test_exif_orientation_survives_the_working_copy() -> None:
    upright = wide_photo()
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    stored = encode(upright.transpose(Image.Transpose.ROTATE_90), "PNG", exif=exif.tobytes())
    working = decode_image(stored, name="phone.png", limits=HashLimits())
    assert working.size == (2050, 550)
    assert PDQ.distance(pdq_hash(working).value, pdq_hash(upright).value) <= 8


# -- decodes at once ----------------------------------------------------------------------------
class Gate:
    """Hashing jobs that block until released, counting how many ran at once and where."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.started = threading.Semaphore(0)
        self.calls = 0
        self.running = 0
        self.peak = 0
        self.threads: set[str] = set()

    def job(self, *args: object, **kwargs: object) -> list[object]:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.threads.add(threading.current_thread().name)
        self.started.release()
        try:
            if not self.release.wait(timeout=60):
                raise TimeoutError("never released")
        finally:
            with self.lock:
                self.running -= 1
        return []


async def test_uploads_and_attachments_share_a_bounded_pool_and_lookups_never_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = Gate()
    monkeypatch.setattr("hashdb.service.hash_bytes", gate.job)
    monkeypatch.setattr("hashdb.service.hash_bytes_for_query", gate.job)
    limits = HashLimits(max_concurrent_decodes=2)
    async with open_hash_service(":memory:", limits=limits) as svc:
        await svc.create_list("l", created_by="test")
        await svc.add_entry("l", "md5", "a" * 32, added_by="test")
        # more jobs than asyncio's default executor has threads: lookups offload their searches
        # there, so hashing in it would leave them queued behind the uploads
        jobs = [
            asyncio.create_task(svc.match_bytes(b"x") if i % 2 else svc.hash_bytes(b"x"))
            for i in range(40)
        ]
        try:
            for _ in range(2):  # the pool is full
                await asyncio.to_thread(gate.started.acquire)
            batch = [("md5", f"{i:032x}") for i in range(20)] + [("md5", "a" * 32)]
            results = await asyncio.wait_for(svc.match_many(batch), timeout=60)
            assert [len(r.matches) for r in results] == [0] * 20 + [1]
            single = await asyncio.wait_for(svc.match("md5", "a" * 32), timeout=60)
            assert len(single.matches) == 1
        finally:
            gate.release.set()
            await asyncio.gather(*jobs)
    assert gate.peak == 2
    assert len(gate.threads) == 2 and all(t.startswith("hashing") for t in gate.threads)


async def test_a_waiting_hashing_job_that_is_cancelled_never_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = Gate()
    monkeypatch.setattr("hashdb.service.hash_bytes", gate.job)
    async with open_hash_service(":memory:", limits=HashLimits(max_concurrent_decodes=1)) as svc:
        first = asyncio.create_task(svc.hash_bytes(b"first"))
        waiting = asyncio.create_task(svc.hash_bytes(b"second"))
        await asyncio.to_thread(gate.started.acquire)
        waiting.cancel()
        gate.release.set()
        await first
        with pytest.raises(asyncio.CancelledError):
            await waiting
    assert gate.calls == 1 and gate.running == 0
