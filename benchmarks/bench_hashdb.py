"""Hash database benchmark: hashing speed, fast-vs-full PDQ agreement, exact match latency, memory.

Baselines are measured in the same run, so the ratios compare across machines:

- hashing: ``hashdb.hash_bytes`` (MD5 + SHA-256 + PDQ + pHash, JPEG draft decoding) against the
  naive path (full decode + ``imagehash.phash`` only) on generated 1 MP and 10 MP JPEGs;
- agreement: PDQ Hamming distance between the draft decode and a full decode of the same JPEGs;
- matching: ``HammingIndex`` (exact multi-index hashing) at radius 31 over 100k and 1M random PDQ
  hashes with planted near-duplicates, against a numpy brute force (``np.bitwise_count``) and, for
  reference, faiss ``IndexBinaryFlat`` (``range_search`` radius 32, strict) on one thread. Every
  index answer is checked against the brute force: the table reports mismatches (must be 0);
- memory: bytes held by the index per million hashes.

``python -m benchmarks.run hashdb [--quick]``.
"""

from __future__ import annotations

import hashlib
import io
import statistics
import time
from collections.abc import Callable

import imagehash
import numpy as np
from PIL import Image

from hashdb import get_signal, hash_bytes
from hashdb.decoding import HashLimits, decode_image
from hashdb.index import HammingIndex
from hashdb.perceptual import pdq_hash
from tests.hashdb.imaging import encode, synthetic_photo

RADIUS = 31


def _median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _naive(data: bytes) -> str:
    return str(imagehash.phash(Image.open(io.BytesIO(data)).convert("RGB")))


def _full_all(data: bytes) -> list[str]:
    """Every hash hashdb computes, from a full decode (no draft): isolates the draft's gain."""
    image = decode_image(data, name="full", limits=HashLimits(), draft=False)
    digests = [hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()]
    return [*digests, pdq_hash(image).value, str(imagehash.phash(image))]


def bench_hashing(sizes: dict[str, tuple[int, int]], images: int, repeat: int) -> None:
    pdq = get_signal("pdq")
    limits = HashLimits()
    print(f"\nHashing generated JPEGs (q90): median of {repeat} runs x {images} images per size")
    print(
        f"{'size':>6} | {'naive pHash ms':>14} | {'full, 4 hashes ms':>17} | {'hashdb ms':>9} | "
        f"{'vs naive':>8} | {'vs full':>7} | {'PDQ fast-full max':>17} | {'mean':>4} | "
        f"{'same':>5}"
    )
    for label, size in sizes.items():
        naive_t, full_t, fast_t, distances = [], [], [], []
        for seed in range(images):
            data = encode(synthetic_photo(1000 + seed, size), quality=90)
            naive_t.append(_median_seconds(lambda d=data: _naive(d), repeat))
            full_t.append(_median_seconds(lambda d=data: _full_all(d), repeat))
            # the 4 hashes of the reference path: local features are measured by bench_detection
            fast_t.append(
                _median_seconds(lambda d=data: hash_bytes(d, pixel_signals=False), repeat)
            )
            fast = pdq_hash(decode_image(data, name=label, limits=limits)).value
            full = pdq_hash(decode_image(data, name=label, limits=limits, draft=False)).value
            distances.append(pdq.distance(fast, full))
        naive, full_ms, fast_ms = (statistics.median(t) * 1e3 for t in (naive_t, full_t, fast_t))
        same = sum(d == 0 for d in distances)
        print(
            f"{label:>6} | {naive:14.1f} | {full_ms:17.1f} | {fast_ms:9.1f} | "
            f"{naive / fast_ms:7.2f}x | {full_ms / fast_ms:6.2f}x | {max(distances):17d} | "
            f"{statistics.mean(distances):4.1f} | {same:2d}/{len(distances):<2d}"
        )
    print(
        "(naive = full decode + imagehash.phash only; full = full decode + MD5, SHA-256, PDQ,"
        "\n pHash; hashdb = the same four hashes with JPEG draft decoding)"
    )


def _dataset(n: int, rng: np.random.Generator) -> np.ndarray:
    codes = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    # near-duplicate clusters: 1 % of rows are edited copies (0-40 bits) of other rows
    planted = rng.choice(n, size=n // 100, replace=False)
    for row in planted:
        source = codes[int(rng.integers(0, n))].copy()
        for bit in rng.choice(256, size=int(rng.integers(0, 41)), replace=False):
            source[bit // 8] ^= 1 << (bit % 8)
        codes[row] = source
    return codes


def _queries(codes: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    out = []
    for i in range(count):
        if i % 2:  # an edited copy of a stored hash
            q = codes[int(rng.integers(0, len(codes)))].copy()
            for bit in rng.choice(256, size=int(rng.integers(0, 30)), replace=False):
                q[bit // 8] ^= 1 << (bit % 8)
        else:  # unrelated content
            q = rng.integers(0, 256, size=32, dtype=np.uint8)
        out.append(q)
    return np.array(out)


def bench_matching(sizes: list[int], queries: int, brute_queries: int) -> None:
    import faiss

    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(42)
    print(
        f"\nExact radius search, PDQ radius {RADIUS}, one thread, {queries} queries "
        "(half edited copies of stored hashes, half unrelated)"
    )
    print(
        f"{'hashes':>9} | {'brute ms':>8} | {'faiss flat ms':>13} | {'index median ms':>15} | "
        f"{'p99 ms':>7} | {'vs brute':>8} | {'build s':>7} | {'MB/M hashes':>11} | "
        f"{'mismatches':>10}"
    )
    for n in sizes:
        codes = _dataset(n, rng)
        words = codes.view(np.uint64)
        hexes = [c.tobytes().hex() for c in codes]
        index = HammingIndex(256)
        start = time.perf_counter()
        index.add(np.arange(1, n + 1), hexes, np.zeros(n, np.int32))
        index.rebuild()
        build = time.perf_counter() - start
        qs = _queries(codes, queries, rng)
        qhex = [q.tobytes().hex() for q in qs]
        index.query(qhex[0], RADIUS)  # warm up
        times = []
        answers = []
        for value in qhex:
            t0 = time.perf_counter()
            ids, _, _ = index.query(value, RADIUS)
            times.append(time.perf_counter() - t0)
            answers.append(set(ids.tolist()))
        brute_times, mismatches = [], 0
        for i in range(queries):
            q = qs[i].view(np.uint64)
            t0 = time.perf_counter()
            dist = np.bitwise_count(words ^ q).sum(axis=1, dtype=np.int32)
            expected = set((np.nonzero(dist <= RADIUS)[0] + 1).tolist())
            if i < brute_queries:
                brute_times.append(time.perf_counter() - t0)
            mismatches += expected != answers[i]
        flat = faiss.IndexBinaryFlat(256)
        flat.add(codes)
        faiss_times = []
        for i in range(min(queries, 200)):
            t0 = time.perf_counter()
            flat.range_search(qs[i : i + 1], RADIUS + 1)
            faiss_times.append(time.perf_counter() - t0)
        median = statistics.median(times) * 1e3
        p99 = float(np.percentile(times, 99)) * 1e3
        brute = statistics.median(brute_times) * 1e3
        mb_per_million = index.memory_bytes() / n * 1e6 / 2**20
        print(
            f"{n:9,d} | {brute:8.2f} | {statistics.median(faiss_times) * 1e3:13.3f} | "
            f"{median:15.3f} | {p99:7.3f} | {brute / median:7.0f}x | {build:7.1f} | "
            f"{mb_per_million:11.0f} | {mismatches:10d}"
        )
        del flat, index
    print("(build = parsing hex + one table rebuild; memory counts the index's numpy arrays)")


def main(quick: bool) -> None:
    if quick:
        bench_hashing({"0.3MP": (640, 480), "2MP": (1632, 1224)}, images=3, repeat=2)
        bench_matching([20_000, 100_000], queries=200, brute_queries=50)
    else:
        bench_hashing({"1MP": (1152, 864), "10MP": (3872, 2592)}, images=8, repeat=3)
        bench_matching([100_000, 1_000_000], queries=1000, brute_queries=100)
