"""Detection of re-shared pictures: today's signals, local features, and the combined decision.

Measured in one run on every distinct natural photo shipped in an installed package
(``tests.hashdb.photo_edits.natural_photos``: at least 30 with the ``bench`` extra) and every
edit in ``REPOSTS`` (heavy and off-centre crops, picture-in-picture, collages, phone
screenshots, border + caption, 9:16 with a blurred fill, turns, photos of a screen, and the
everyday edits), each with parameters drawn at random per photo:

- recall per edit and overall: an edited photo found by its own original's entry on PDQ, on
  pHash, on either (today's decision: the query's search values against the entry's hashes and
  stored variants, as ``benchmarks/bench_robustness.py`` decides it), on local features
  (``LocalFeatureIndex.match``: candidates from the index, then geometric verification, the
  mirror image searched too), and combined (today's decision or local features);
- false matches over every unrelated pair: the queries are searched again in a list that also
  holds a second, independently edited copy of every photo under every edit (entries added from
  those pixels), and any match with an entry of another photo counts (a collage or background
  showing the other photo excepted); the pair count is printed;
- cost: milliseconds per add (local features against today's hashing with variants) and per
  query (against today's query hashing), bytes per stored entry;
- through the service: the same queries checked by ``HashService.match_bytes`` against lists of
  the same entries (added with every signal, as ``hashdb add`` does): recall of today's signals,
  of local features and combined as the service decides it, false matches per signal, the time
  per check, and how many copies today's decision finds that today's signals through the service
  no longer do (must be 0: local features only add matches);
- at scale: one core checking a 1 MP upload against an index of 100,000 entries (the real ones
  plus synthetic entries whose descriptors are real descriptors with a quarter of their bits
  flipped, so keys are as unevenly spread as real ones), median CPU and wall milliseconds, and
  the index's memory.
- the detector choice: extraction time and bytes per keypoint of ORB against SIFT (the two
  detectors in opencv-python-headless 5's main modules) on the same pictures.

``python -m benchmarks.run detection [--quick]``.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from benchmarks.bench_robustness import _matches
from hashdb import ContentHash, NewEntry, hash_bytes, open_hash_service
from hashdb.decoding import HashLimits, decode_image
from hashdb.hashing import hash_bytes_for_query
from hashdb.list_rules import skip_low_quality
from hashdb.localfeatures import (
    LocalFeatureIndex,
    LocalFeatures,
    decode,
    encode,
    extract_features,
    query_features,
    to_text,
)
from hashdb.localfeatures.features import feature_copy
from tests.hashdb.photo_edits import REPOSTS, natural_photos

SIGNALS = ("pdq", "phash")
COLUMNS = ("pdq", "phash", "today", "local", "combined")
MIN_PHOTOS = 30
LIMITS = HashLimits()


@dataclass
class Stored:
    """One entry: the photos it shows, today's hashes with variants, its local-feature blob,
    and every hash the service stores for it (today's, with variants, and the ``orb`` value)."""

    shows: frozenset[str]
    hashes: dict[str, list[tuple[str | None, str]]]
    blob: bytes | None
    content: list[ContentHash] = field(default_factory=list)


@dataclass(frozen=True)
class Query:
    """One edited copy checked: the photo edited, the photos it shows, its bytes, and whether
    today's decision (computed by ``_today``, as ``bench_robustness`` does) found its photo."""

    name: str
    shown: frozenset[str]
    data: bytes
    today: bool


@dataclass
class Tally:
    own: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))
    false: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))
    cases: int = 0
    pairs: int = 0


def _cpu_ms(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.process_time()
    out = fn()
    return (time.process_time() - start) * 1e3, out


def _stored(shows: frozenset[str], data: bytes) -> tuple[Stored, float, float]:
    """The entry added from ``data``, and the CPU ms of today's hashing and of local features."""
    # today's hashing: the four hashes and their variants, without local features
    today_ms, hashes = _cpu_ms(lambda: hash_bytes(data, variants=True, pixel_signals=False))
    by_signal = {h.signal: h for h in hashes}  # type: ignore[attr-defined]
    values = {
        s: [(None, by_signal[s].value)] + [(v.kind, v.value) for v in by_signal[s].variants]
        for s in SIGNALS
    }

    def features() -> bytes | None:
        found = extract_features(decode_image(data, name="entry", limits=LIMITS))
        return None if found is None else encode(found)

    local_ms, blob = _cpu_ms(features)
    content = list(hashes)  # type: ignore[call-overload]
    if blob is not None:
        content.append(ContentHash("orb", to_text(blob)))  # type: ignore[arg-type]
    return Stored(shows, values, blob, content), today_ms, local_ms  # type: ignore[arg-type]


def _index(entries: list[Stored]) -> LocalFeatureIndex:
    index = LocalFeatureIndex()
    index.add_many((i, decode(e.blob)) for i, e in enumerate(entries) if e.blob is not None)
    return index


def _today(values: dict[str, tuple[str, ...]], entry: Stored) -> dict[str, bool]:
    return {s: _matches(values[s], entry.hashes[s], s) for s in SIGNALS}


def _query_features(
    data: bytes,
) -> tuple[LocalFeatures | None, Callable[[], LocalFeatures | None]]:
    """What checking an upload adds for local features: decode, then extract (and mirror)."""
    return query_features(decode_image(data, name="query", limits=LIMITS))


def bench_detection(
    photos: dict[str, bytes], edits: list[str], seed: int = 1
) -> tuple[list[Stored], list[Stored], list[Query], float]:
    """The per-edit table; returns the entries, the queries and today's median query CPU ms
    for ``bench_service``."""
    names = list(photos)
    pictures = {n: decode_image(d, name=n, limits=LIMITS) for n, d in photos.items()}
    add_today, add_local = [], []
    originals = []
    for name in names:
        entry, today_ms, local_ms = _stored(frozenset({name}), photos[name])
        originals.append(entry)
        add_today.append(today_ms)
        add_local.append(local_ms)
    blobs = [len(e.blob) for e in originals if e.blob is not None]
    rng = np.random.default_rng(seed)
    # a second copy of every photo under every edit, edited independently, as list entries
    copies = []
    for edit in edits:
        for i, name in enumerate(names):
            other = names[(i + 1 + int(rng.integers(0, len(names) - 1))) % len(names)]
            data = REPOSTS[edit].edit(pictures[name], rng, pictures[other])
            shows = {name, other} if REPOSTS[edit].shows_other else {name}
            copies.append(_stored(frozenset(shows), data)[0])
    everything = originals + copies
    own_index, all_index = _index(originals), _index(everything)
    print(
        f"\n{len(names)} photos x {len(edits)} edits; recall = found by its own original "
        "(of the photos), fm = false matches with another photo's entries over the pairs"
    )
    header = " | ".join(f"{c:>8}" for c in COLUMNS)
    print(f"{'edit':<28} {'family':<19} | {header} | {'fm pdq/ph/lf':>12} | {'pairs':>7}")
    overall = Tally()
    query_today, query_local = [], []
    checked: list[Query] = []
    for edit in edits:
        tally = Tally()
        for i, name in enumerate(names):
            other = names[(i + 1 + int(rng.integers(0, len(names) - 1))) % len(names)]
            data = REPOSTS[edit].edit(pictures[name], rng, pictures[other])
            today_ms, queries = _cpu_ms(
                lambda d=data: hash_bytes_for_query(d, pixel_signals=False)  # type: ignore[misc]
            )
            values = {q.hash.signal: q.search_values for q in queries if q.hash.signal in SIGNALS}
            image = decode_image(data, name=edit, limits=LIMITS)
            local_ms, found = _cpu_ms(lambda im=image: own_index.match(*query_features(im)))
            query_today.append(today_ms)
            query_local.append(local_ms)
            own = originals[i]
            hit = _today(values, own)
            hit["today"] = hit["pdq"] or hit["phash"]
            hit["local"] = any(m.entry_id == i for m in found)  # type: ignore[attr-defined]
            hit["combined"] = hit["today"] or hit["local"]
            tally.cases += 1
            for column in COLUMNS:
                tally.own[column] += hit[column]
            shown = {name, other} if REPOSTS[edit].shows_other else {name}
            checked.append(Query(name, frozenset(shown), data, hit["today"]))
            unrelated = [k for k, e in enumerate(everything) if not e.shows & shown]
            tally.pairs += len(unrelated)
            for k in unrelated:
                wrong = _today(values, everything[k])
                tally.false["pdq"] += wrong["pdq"]
                tally.false["phash"] += wrong["phash"]
            features = query_features(image)
            tally.false["local"] += sum(
                not everything[m.entry_id].shows & shown for m in all_index.match(*features)
            )
        _row(edit, REPOSTS[edit].family, tally)
        for column in COLUMNS:
            overall.own[column] += tally.own[column]
            overall.false[column] += tally.false[column]
        overall.cases += tally.cases
        overall.pairs += tally.pairs
    _row("overall", "", overall)
    print(
        f"bytes per entry (local features): mean {statistics.mean(blobs):,.0f}, max "
        f"{max(blobs):,d}; {len(originals) - len(blobs)} of {len(originals)} photos have none"
    )
    print(
        f"add, CPU ms median: today's hashing with variants {statistics.median(add_today):.1f}, "
        f"+ local features {statistics.median(add_local):.1f} "
        f"({statistics.median(add_local) / statistics.median(add_today):.2f}x)"
    )
    print(
        f"query, CPU ms median: today's query hashing {statistics.median(query_today):.1f}, "
        f"+ local features (extract x2 + search + verify) {statistics.median(query_local):.1f} "
        f"({statistics.median(query_local) / statistics.median(query_today):.2f}x)"
    )
    return originals, copies, checked, statistics.median(query_today)


def bench_service(
    originals: list[Stored], copies: list[Stored], queries: list[Query], today_query_ms: float
) -> None:
    """The same queries through ``HashService.match_bytes``: the combined decision as the
    service makes it (every signal, local features included), false matches against the same
    entries, and the time per check; and that today's signals still find what they found."""
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(
            _service_run(Path(folder) / "bench.db", originals, copies, queries, today_query_ms)
        )


async def _service_run(
    path: Path,
    originals: list[Stored],
    copies: list[Stored],
    queries: list[Query],
    today_query_ms: float,
) -> None:
    async with open_hash_service(str(path)) as service:
        for list_name, entries in (("originals", originals), ("copies", copies)):
            await service.create_list(list_name, created_by="bench")
            for stored in entries:
                items = [
                    NewEntry(
                        h.signal,
                        h.value,
                        source="|".join(sorted(stored.shows)),
                        quality=h.quality,
                        variants=h.variants,
                    )
                    for h in stored.content
                ]
                kept, _ = skip_low_quality(items)  # as hashdb add does with a dark picture
                await service.add_entries(list_name, kept, added_by="bench")
        await service.refresh()
        found = {"today": 0, "local": 0, "combined": 0}
        false = {"pdq": 0, "phash": 0, "digests": 0, "orb": 0}
        lost, wall, cpu = 0, [], []
        for query in queries:
            # recall against the originals alone (as the table above: several stored copies of
            # one photo would compete for its candidates), timed; then false matches against
            # both lists (every unrelated entry of the table above)
            started, cpu_started = time.perf_counter(), time.process_time()
            results = await service.match_bytes(query.data, name="query", lists=["originals"])
            wall.append((time.perf_counter() - started) * 1e3)
            cpu.append((time.process_time() - cpu_started) * 1e3)
            own = {
                "orb" if m.signal == "orb" else "today"
                for r in results
                for m in r.matches
                if m.entry.source == query.name
            }
            found["today"] += "today" in own
            found["local"] += "orb" in own
            found["combined"] += bool(own)
            lost += query.today and "today" not in own
            for result in await service.match_bytes(query.data, name="query"):
                for m in result.matches:
                    if not set(m.entry.source.split("|")) & query.shown:
                        false[m.signal if m.signal in false else "digests"] += 1
    n = len(queries)
    shares = ", ".join(f"{k} {100 * v / n:.0f}%" for k, v in found.items())
    print(
        f"\nthrough the service (match_bytes, {n} checks; lists of {len(originals)} originals and "
        f"{len(copies)} edited copies): recall {shares}; false matches "
        + ", ".join(f"{k} {v}" for k, v in false.items())
    )
    print(
        f"today's signals through the service lost {lost} of the copies today's decision finds; "
        f"per check median wall {statistics.median(wall):.1f} ms, CPU {statistics.median(cpu):.1f} "
        f"ms (all threads; today's query hashing alone: {today_query_ms:.1f} ms CPU, "
        f"{statistics.median(cpu) / today_query_ms:.2f}x)"
    )


def _row(edit: str, family: str, tally: Tally) -> None:
    shares = " | ".join(f"{100 * tally.own[c] / tally.cases:>7.0f}%" for c in COLUMNS)
    fm = f"{tally.false['pdq']}/{tally.false['phash']}/{tally.false['local']}"
    print(f"{edit:<28} {family:<19} | {shares} | {fm:>12} | {tally.pairs:>7,d}")


#: synthetic descriptors: real ones with this share of their bits flipped. Why 0.1: two real
#: unrelated photos' descriptors share an LSH key about 25 times as often as uniform random ones
#: would (corners look alike), and at 0.1 synthetic entries share keys with real queries at that
#: measured rate (1.3e-4 per pair of descriptors, summed over the tables, against 1.5e-4).
SYNTHETIC_FLIPS = 0.1


def _synthetic_source(pool: np.ndarray, seed: int) -> Callable[[int], LocalFeatures]:
    """Entry id -> features made of ``pool`` descriptors with ``SYNTHETIC_FLIPS`` of their bits
    flipped, at random positions of a 640x480 copy (the same for the same id)."""
    bank = np.packbits(np.random.default_rng(seed).random((8192, 256)) < SYNTHETIC_FLIPS, axis=1)

    def features(entry_id: int) -> LocalFeatures:
        rng = np.random.default_rng((seed, entry_id))
        rows = pool[rng.integers(0, len(pool), 400)] ^ bank[rng.integers(0, len(bank), 400)]
        points = (rng.random((400, 2)) * (640, 480)).astype(np.float32)
        zeros = np.zeros(400, np.uint8)
        return LocalFeatures(640, 480, 640, 480, points, zeros, zeros, rows)

    return features


def bench_scale(photos: dict[str, bytes], edits: list[str], total: int, queries: int) -> None:
    names = list(photos)
    real = {}
    for k, name in enumerate(names):
        features = extract_features(decode_image(photos[name], name=name, limits=LIMITS))
        if features is not None:
            real[k] = features
    pool = np.concatenate([f.descriptors for f in real.values()])
    synthetic = _synthetic_source(pool, seed=3)
    index = LocalFeatureIndex(source=lambda i: real[i] if i in real else synthetic(i))
    start = time.perf_counter()
    index.add_many(
        [(k, f) for k, f in real.items()] + [(i, synthetic(i)) for i in range(len(names), total)]
    )
    build = time.perf_counter() - start
    rng = np.random.default_rng(11)
    uploads = []
    for n in range(queries):
        name = names[n % len(names)]
        picture = decode_image(photos[name], name=name, limits=LIMITS)
        factor = (1_000_000 / (picture.width * picture.height)) ** 0.5
        picture = picture.resize((round(picture.width * factor), round(picture.height * factor)))
        edit = edits[int(rng.integers(0, len(edits)))]
        other = decode_image(photos[names[(n + 1) % len(names)]], name=name, limits=LIMITS)
        data = REPOSTS[edit].edit(picture, rng, other)
        shown = decode_image(data, name=edit, limits=LIMITS)
        if shown.width * shown.height > 1_300_000:  # collages and screenshots grow: back to 1 MP
            factor = (1_000_000 / (shown.width * shown.height)) ** 0.5
            shown = shown.resize((round(shown.width * factor), round(shown.height * factor)))
            buffer = io.BytesIO()
            shown.save(buffer, "JPEG", quality=88)
            data = buffer.getvalue()
        uploads.append(data)
    cv2.setNumThreads(1)
    today_cpu, local_cpu, local_wall, found = [], [], [], 0
    for data in uploads:
        ms, _ = _cpu_ms(lambda d=data: hash_bytes_for_query(d, pixel_signals=False))  # type: ignore[misc]
        today_cpu.append(ms)
        wall = time.perf_counter()
        ms, matches = _cpu_ms(lambda d=data: index.match(*_query_features(d)))  # type: ignore[misc]
        local_wall.append((time.perf_counter() - wall) * 1e3)
        local_cpu.append(ms)
        found += bool(matches)
    today, local = statistics.median(today_cpu), statistics.median(local_cpu)
    print(
        f"\nat scale, one core: {len(index):,d} entries indexed "
        f"({index.memory_bytes() / 2**20:,.0f} MB of tables, built in {build:.0f} s); "
        f"{queries} edited 1 MP uploads ({found} found)"
    )
    print(
        f"median CPU ms per upload: today's query hashing {today:.1f}; local features (decode, "
        f"extract x2, search, verify) {local:.1f} (wall {statistics.median(local_wall):.1f}); "
        f"together {today + local:.1f} ({(today + local) / today:.2f}x today's)"
    )


def bench_detectors(photos: dict[str, bytes]) -> None:
    """Extraction CPU ms on the feature copy and bytes per keypoint, ORB vs SIFT."""
    greys = []
    for name, data in photos.items():
        copy = feature_copy(decode_image(data, name=name, limits=LIMITS))
        if copy is not None:
            greys.append(np.asarray(copy))
    cv2.setNumThreads(1)
    rows = []
    for label, detector, per_keypoint in (
        ("ORB (chosen)", cv2.ORB_create(1200, fastThreshold=10), 32 + 6),
        ("SIFT", cv2.SIFT_create(400), 128 + 6),
    ):
        run = detector.detectAndCompute
        times = [_cpu_ms(lambda g=g, run=run: run(g, None))[0] for g in greys]
        rows.append((label, statistics.median(times), per_keypoint))
    base = rows[0][1]
    print("\ndetector  | extract CPU ms (median) | vs ORB | bytes/keypoint | keypoints in 16 KB")
    for label, ms, size in rows:
        print(f"{label:<13} | {ms:>10.1f} | {ms / base:>5.1f}x | {size:>5d} | {16384 // size:>4d}")


def main(quick: bool) -> None:
    cv2.setNumThreads(1)  # every figure is for one core
    photos = natural_photos()
    if len(photos) < MIN_PHOTOS and not quick:
        raise SystemExit(
            f"only {len(photos)} natural photos installed (need {MIN_PHOTOS}): "
            "pip install -e '.[bench]'"
        )
    edits = list(REPOSTS)
    if quick:
        photos = dict(list(photos.items())[:8])
        edits = edits[::4]
    originals, copies, queries, today_query_ms = bench_detection(photos, edits)
    bench_service(originals, copies, queries, today_query_ms)
    bench_scale(photos, edits, total=10_000 if quick else 100_000, queries=20 if quick else 100)
    bench_detectors(photos)
