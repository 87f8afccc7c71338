"""Robustness of matching to everyday edits of real photos, before and after trimming and variants.

Measured in one run on the natural photos bundled with scikit-image (``tests.hashdb.photo_edits``):

- the matrix: per edit, how many of the photos match their own original (PDQ, pHash, either) and
  how many false matches (an edited photo within the threshold of another photo's hashes), for the
  baseline query path (PDQ's 8 dihedral variants + the mirrored pixels, entries without variants)
  and the new one (also the content inside uniform borders, entries with their crop variants).
  A match is decided as the service decides it: some search value of the query within the default
  threshold (PDQ 31, pHash 10) of the entry's hash, or within ``VARIANT_RADIUS`` (PDQ 15, pHash 7)
  of one of its variants;
- cost: extra milliseconds per query (hashing with border trimming) and per add (the variants),
  and how many index rows an entry added from pixels takes;
- latency at scale: ``HammingIndex`` queries over 1M primary PDQ hashes alone (radius 31) against
  the same plus a variant index holding the average number of variants per entry of that signal
  (radius 15 for PDQ, 7 for pHash; pHash also stores the small-rotation variants), as
  the service searches them (random codes, like ``bench_hashdb``), per search value and per
  uploaded image (all its PDQ search values).

``python -m benchmarks.run robustness [--quick]``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

import numpy as np

from benchmarks.bench_hashdb import _dataset, _median_seconds
from hashdb import get_signal, hash_bytes
from hashdb.decoding import HashLimits, decode_image
from hashdb.hashing import hash_bytes_for_query
from hashdb.index import HammingIndex
from hashdb.signals.indexes import variant_prefix
from hashdb.variants import VARIANT_RADIUS, stored_variants
from tests.hashdb.photo_edits import EVERYDAY, HARD, PHOTOS, Edit, load_photo, photo_bytes

SIGNALS = ("pdq", "phash")
#: stored values per photo and signal: [(kind, value)], kind None for the entry's own hash
Stored = dict[str, dict[str, list[tuple[str | None, str]]]]


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _stored(with_variants: bool) -> Stored:
    out: Stored = {}
    for name in PHOTOS:
        found = hash_bytes(photo_bytes(name), variants=True, pixel_signals=False)  # PDQ, pHash
        hashes = {h.signal: h for h in found}
        out[name] = {
            s: [(None, hashes[s].value)]
            + ([(v.kind, v.value) for v in hashes[s].variants] if with_variants else [])
            for s in SIGNALS
        }
    return out


def _matches(values: Sequence[str], stored: list[tuple[str | None, str]], signal: str) -> bool:
    threshold = get_signal(signal).default_threshold
    radius = min(threshold, VARIANT_RADIUS[signal])
    return any(
        _distance(q, v) <= (threshold if kind is None else radius)
        for q in values
        for kind, v in stored
    )


def _row(edit: Edit, stored: Stored, trim: bool) -> tuple[dict[str, int], int, list[float]]:
    """(own matches per signal and 'any', false matches, query hashing seconds) for one edit."""
    own = dict.fromkeys((*SIGNALS, "any"), 0)
    false_matches = 0
    seconds = []
    for name in PHOTOS:
        data = edit(load_photo(name))
        start = time.perf_counter()
        queries = hash_bytes_for_query(data, trim_borders=trim)
        seconds.append(time.perf_counter() - start)
        values = {q.hash.signal: q.search_values for q in queries if q.hash.signal in SIGNALS}
        hit = {s: _matches(values[s], stored[name][s], s) for s in SIGNALS}
        for s in SIGNALS:
            own[s] += hit[s]
        own["any"] += any(hit.values())
        false_matches += sum(
            _matches(values[s], stored[other][s], s)
            for other in PHOTOS
            if other != name
            for s in SIGNALS
        )
    return own, false_matches, seconds


def bench_matrix(edits: dict[str, Edit]) -> None:
    old_stored, new_stored = _stored(False), _stored(True)
    n = len(PHOTOS)
    print(
        f"\nOwn-original matches out of {n} real photos (PDQ / pHash / either) and false matches"
        " (edited photo within threshold of another photo), baseline vs new"
    )
    print(
        f"{'edit':<18} | {'baseline p/ph/any':>17} | {'fm':>3} | {'new p/ph/any':>13} | {'fm':>3}"
    )
    totals = {"old": 0, "new": 0, "old_fm": 0, "new_fm": 0}
    old_times: list[float] = []
    new_times: list[float] = []
    for name, edit in edits.items():
        old, old_fm, t_old = _row(edit, old_stored, trim=False)
        new, new_fm, t_new = _row(edit, new_stored, trim=True)
        old_times += t_old
        new_times += t_new
        totals["old"] += old["any"]
        totals["new"] += new["any"]
        totals["old_fm"] += old_fm
        totals["new_fm"] += new_fm
        cells = [f"{a['pdq']:>2}/{a['phash']:>2}/{a['any']:>2}" for a in (old, new)]
        print(f"{name:<18} | {cells[0]:>17} | {old_fm:>3} | {cells[1]:>13} | {new_fm:>3}")
    cases = n * len(edits)
    print(
        f"{'total (either)':<18} | {totals['old']:>11}/{cases} | {totals['old_fm']:>3} | "
        f"{totals['new']:>7}/{cases} | {totals['new_fm']:>3}"
    )
    old_ms, new_ms = statistics.median(old_times) * 1e3, statistics.median(new_times) * 1e3
    print(
        f"query hashing median: baseline {old_ms:.1f} ms, new {new_ms:.1f} ms "
        f"(+{new_ms - old_ms:.1f} ms, {new_ms / old_ms:.2f}x)"
    )
    rows = {s: statistics.mean(len(new_stored[p][s]) for p in PHOTOS) for s in SIGNALS}
    print(
        "index rows per entry added from pixels: "
        + ", ".join(f"{s} {rows[s]:.1f}" for s in SIGNALS)
        + " (baseline 1)"
    )


def bench_add_cost(repeat: int) -> dict[str, float]:
    """Median extra ms per add for the variants; returns the mean variants per photo and signal."""
    limits = HashLimits()
    base, extra = [], []
    counts: dict[str, list[int]] = {s: [] for s in SIGNALS}
    for name in PHOTOS:
        data = photo_bytes(name)
        image = decode_image(data, name=name, limits=limits)
        base.append(_median_seconds(lambda d=data: hash_bytes_for_query(d), repeat))
        extra.append(_median_seconds(lambda i=image: stored_variants(i), repeat))
        variants = stored_variants(image)
        for s in SIGNALS:
            counts[s].append(len(variants[s]))
    base_ms, extra_ms = statistics.median(base) * 1e3, statistics.median(extra) * 1e3
    print(
        f"\nadd from pixels: variants cost +{extra_ms:.1f} ms per image (median over "
        f"{len(PHOTOS)} photos; hashing an upload for a query takes {base_ms:.1f} ms)"
    )
    return {s: statistics.mean(c) for s, c in counts.items()}


#: (index, radius) pairs one search value is looked up in
Searched = list[tuple[HammingIndex, int]]


def _search(indexes: Searched, value: str) -> None:
    for index, radius in indexes:
        index.query(value, radius)


def _latency(indexes: Searched, values: list[str], per_image: int) -> tuple[float, float]:
    for value in values[:50]:  # warm up (and build the tables)
        _search(indexes, value)
    single = []
    for value in values:
        start = time.perf_counter()
        _search(indexes, value)
        single.append(time.perf_counter() - start)
    images = []
    for start_at in range(0, len(values) - per_image + 1, per_image):
        group = values[start_at : start_at + per_image]
        start = time.perf_counter()
        for value in group:
            _search(indexes, value)
        images.append(time.perf_counter() - start)
    return statistics.median(single) * 1e3, statistics.median(images) * 1e3


def _index(codes: np.ndarray, *, prefix: bool = True) -> HammingIndex:
    index = HammingIndex(codes.shape[1] * 8, prefix=prefix)
    for chunk in range(0, len(codes), 500_000):
        part = codes[chunk : chunk + 500_000]
        ids = np.arange(chunk, chunk + len(part))
        index.add(ids, [c.tobytes().hex() for c in part], np.zeros(len(part), np.int32))
    index.rebuild()
    return index


def _edited_queries(codes: np.ndarray, count: int, rng: np.random.Generator) -> list[str]:
    """Half edited copies of stored codes (up to an eighth of the bits flipped), half unrelated."""
    width = codes.shape[1]
    out = []
    for i in range(count):
        if i % 2:
            q = codes[int(rng.integers(0, len(codes)))].copy()
            for bit in rng.choice(width * 8, size=int(rng.integers(0, width + 1)), replace=False):
                q[bit // 8] ^= 1 << (bit % 8)
        else:
            q = rng.integers(0, 256, size=width, dtype=np.uint8)
        out.append(q.tobytes().hex())
    return out


def bench_scale(
    signal: str, n: int, variants_per_entry: float, queries: int, per_image: int
) -> None:
    rng = np.random.default_rng(7)
    width = get_signal(signal).bits // 8
    radius = get_signal(signal).default_threshold
    primary = _dataset(n, rng) if signal == "pdq" else rng.integers(0, 256, (n, width), np.uint8)
    extra = round(n * variants_per_entry)
    variant_codes = rng.integers(0, 256, size=(extra, width), dtype=np.uint8)
    values = _edited_queries(primary, queries, rng)
    print(
        f"\n{signal} index, one thread: {n:,d} entries alone (radius {radius}) vs with "
        f"{variants_per_entry:.1f} variants each in the variant index (radius "
        f"{VARIANT_RADIUS[signal]}); an uploaded image searches {per_image} {signal} values"
    )
    print(
        f"{'index':<22} | {'rows':>10} | {'median ms/value':>15} | {'median ms/image':>15} | "
        f"{'vs alone':>8} | {'build s':>7} | {'MB':>6}"
    )
    start = time.perf_counter()
    entries = _index(primary)
    build = time.perf_counter() - start
    start = time.perf_counter()
    # as the service builds its variant index
    variants = _index(variant_codes, prefix=variant_prefix(width * 8))
    variant_build = time.perf_counter() - start
    base_ms = 0.0
    setups = (
        ("entries only", [(entries, radius)], build),
        ("+ variant index", [(entries, radius), (variants, VARIANT_RADIUS[signal])], variant_build),
        (
            f"(one index, r{radius})",
            [(_index(np.concatenate([primary, variant_codes])), radius)],
            0.0,
        ),
    )
    for label, searched, seconds in setups:
        single, image = _latency(searched, values, per_image)
        base_ms = base_ms or single
        rows = sum(len(index) for index, _ in searched)
        memory = sum(index.memory_bytes() for index, _ in searched) / 2**20
        print(
            f"{label:<22} | {rows:>10,d} | {single:>15.3f} | {image:>15.3f} | "
            f"{single / base_ms:>7.2f}x | {seconds:>7.1f} | {memory:>6.0f}"
        )
    print(
        "(build: the variant index's own; the last row puts the variants in the entries' index"
        " at the full radius, for comparison)"
    )


def main(quick: bool) -> None:
    edits: dict[str, Edit] = {**EVERYDAY, **HARD}
    if quick:
        edits = dict(list(EVERYDAY.items())[6:12])
    bench_matrix(edits)
    variants = bench_add_cost(repeat=1 if quick else 3)
    # an image query searches PDQ's 8 dihedral variants + mirrored pixels + trimmed content, and
    # pHash of the image, mirrored pixels and trimmed content
    n, queries = (100_000, 200) if quick else (1_000_000, 1000)
    bench_scale("pdq", n, variants["pdq"], queries=queries, per_image=10)
    bench_scale("phash", n, variants["phash"], queries=queries, per_image=3)
