"""The in-memory indexes are exact: every stored hash within the radius comes back, no more."""

from __future__ import annotations

import numpy as np
import pytest

from hashdb import index as index_module
from hashdb.index import ExactIndex, HammingIndex


@pytest.fixture(params=["native", "native-no-prefix", "numpy"])
def native(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Every HammingIndex test runs on every search path, which must agree exactly."""
    if request.param == "native-no-prefix":
        monkeypatch.setattr(index_module, "_PREFIX_WORDS", 0)
    return request.param != "numpy"


def test_native_kernel_is_built() -> None:
    # setup.py builds it on any machine with a C compiler (the project needs one for pdqhash)
    assert index_module._native is not None
    assert HammingIndex(256).native and not HammingIndex(256, native=False).native


def random_codes(rng: np.random.Generator, n: int, bits: int) -> np.ndarray:
    return rng.integers(0, 256, size=(n, bits // 8), dtype=np.uint8)


def near(rng: np.random.Generator, code: np.ndarray, flips: int) -> np.ndarray:
    out = code.copy()
    for bit in rng.choice(code.size * 8, size=flips, replace=False):
        out[bit // 8] ^= 1 << (bit % 8)
    return out


def brute_force(codes: np.ndarray, alive: np.ndarray, query: np.ndarray, radius: int) -> set[int]:
    dist = np.unpackbits(codes ^ query, axis=1).sum(axis=1)
    return {i + 1 for i in np.nonzero((dist <= radius) & alive)[0]}


@pytest.mark.parametrize(("bits", "radii"), [(256, (0, 15, 31, 40, 47, 80)), (64, (0, 5, 10, 14))])
def test_radius_search_is_exact(bits: int, radii: tuple[int, ...], native: bool) -> None:
    rng = np.random.default_rng(bits)
    base = random_codes(rng, 300, bits)
    # clusters of near-duplicates at every distance up to well past the largest radius
    planted = [
        near(rng, base[i % 300], int(rng.integers(0, 90 if bits == 256 else 20)))
        for i in range(3000)
    ]
    codes = np.concatenate([base, np.array(planted), random_codes(rng, 5000, bits)])
    index = HammingIndex(bits, tail_limit=1000, native=native)
    ids = list(range(1, len(codes) + 1))
    index.add(ids[:4000], [c.tobytes().hex() for c in codes[:4000]], [0] * 4000)
    index.rebuild()
    rest = codes[4000:]
    index.add(ids[4000:], [c.tobytes().hex() for c in rest], [1] * len(rest))  # unbuilt tail
    alive = np.ones(len(codes), bool)
    removed = rng.choice(len(codes), size=500, replace=False)
    assert index.remove([int(i) + 1 for i in removed]) == 500
    alive[removed] = False
    for _ in range(40):
        query = near(rng, base[int(rng.integers(0, 300))], int(rng.integers(0, 20)))
        for radius in radii:
            found, distances, tags = index.query(query.tobytes().hex(), radius)
            assert set(found.tolist()) == brute_force(codes, alive, query, radius)
            assert all(d <= radius for d in distances.tolist())
            assert set(tags.tolist()) <= {0, 1}


@pytest.mark.parametrize("radius", [0, 15, 31, 47, 80])
def test_batch_query_equals_brute_force_per_query(radius: int, native: bool) -> None:
    rng = np.random.default_rng(radius)
    base = random_codes(rng, 200, 256)
    planted = [near(rng, base[i % 200], int(rng.integers(0, 60))) for i in range(2000)]
    codes = np.concatenate([base, np.array(planted), random_codes(rng, 3000, 256)])
    hexes = [c.tobytes().hex() for c in codes]
    index = HammingIndex(256, tail_limit=1000, native=native)
    index.add(range(1, 4001), hexes[:4000], [i % 3 for i in range(4000)])
    index.rebuild()
    index.add(range(4001, len(codes) + 1), hexes[4000:], [5] * (len(codes) - 4000))  # tail
    alive = np.ones(len(codes), bool)
    removed = rng.choice(len(codes), size=300, replace=False)
    index.remove([int(i) + 1 for i in removed])
    alive[removed] = False
    queries = [
        near(rng, base[int(rng.integers(0, 200))], int(rng.integers(0, 20))) for _ in range(70)
    ]
    queries.append(queries[0])  # a repeated query gets its own, equal answer (and 71 > one batch)
    results = index.query_many([q.tobytes().hex() for q in queries], radius)
    assert len(results) == len(queries)
    for query, (found, distances, tags) in zip(queries, results, strict=True):
        assert set(found.tolist()) == brute_force(codes, alive, query, radius)
        assert len(set(found.tolist())) == len(found)  # each entry once
        expected = np.unpackbits(codes[found - 1] ^ query, axis=1).sum(axis=1)
        assert distances.tolist() == expected.tolist()
        assert tags.tolist() == [(i - 1) % 3 if i <= 4000 else 5 for i in found.tolist()]
    assert index.query_many([], radius) == []


def test_incremental_add_remove_and_compaction(native: bool) -> None:
    rng = np.random.default_rng(7)
    codes = random_codes(rng, 5000, 256)
    hexes = [c.tobytes().hex() for c in codes]
    index = HammingIndex(256, tail_limit=100, native=native)
    for start in range(0, 5000, 250):  # many small adds: rebuilds happen on query
        index.add(range(start + 1, start + 251), hexes[start : start + 250], [7] * 250)
        found, distances, tags = index.query(hexes[start], 0)
        assert found.tolist() == [start + 1] and tags.tolist() == [7]
    assert len(index) == 5000
    index.remove(range(1, 4001))  # most rows dead: compaction
    assert len(index) == 1000
    assert index.query(hexes[10], 0)[0].size == 0
    assert index.query(hexes[4500], 0)[0].tolist() == [4501]
    index.remove([4501, 4501, 999_999])  # repeated and unknown ids are ignored
    assert index.query(hexes[4500], 0)[0].size == 0


def test_ids_out_of_order_still_remove(native: bool) -> None:
    rng = np.random.default_rng(3)
    hexes = [c.tobytes().hex() for c in random_codes(rng, 10, 256)]
    index = HammingIndex(256, native=native)
    index.add([50, 10, 30, 20, 40, 60, 70, 80, 90, 100], hexes, [0] * 10)
    index.remove([30])
    assert index.query(hexes[2], 0)[0].size == 0
    assert index.query(hexes[1], 0)[0].tolist() == [10]


def test_empty_index_and_memory(native: bool) -> None:
    index = HammingIndex(256, native=native)
    assert index.query("00" * 32, 31)[0].size == 0
    index.add([1], ["ff" * 32], [0])
    assert index.memory_bytes() > 0


def test_exact_index() -> None:
    index = ExactIndex()
    index.add([1, 2, 3], ["aa", "aa", "bb"], [0, 1, 0])
    found, distances, tags = index.query("aa")
    assert sorted(zip(found.tolist(), tags.tolist(), strict=True)) == [(1, 0), (2, 1)]
    assert distances.tolist() == [0, 0]
    assert index.remove([1, 9]) == 1
    assert index.query("aa")[0].tolist() == [2]
    index.remove([2])
    assert index.query("aa")[0].size == 0 and len(index) == 1


def test_tables_built_aside_are_installed_unless_rows_moved(native: bool) -> None:
    rng = np.random.default_rng(11)
    hexes = [c.tobytes().hex() for c in random_codes(rng, 3000, 256)]
    index = HammingIndex(256, tail_limit=100, native=native, auto_rebuild=False)
    index.add(range(1, 1001), hexes[:1000], [0] * 1000)
    assert index.needs_rebuild() and index.unbuilt_rows == 1000
    tables = index.build_tables()  # as in a worker thread: the index is unchanged meanwhile
    index.add(range(1001, 1201), hexes[1000:1200], [0] * 200)  # added during the build
    assert index.query(hexes[5], 0)[0].tolist() == [6]  # still found, by the scan
    assert index.install(tables) and index.unbuilt_rows == 200
    older = HammingIndex(256, auto_rebuild=False)
    assert older.install(older.build_tables())  # empty tables for an empty index
    assert index.install(tables._replace(rows=900)) is False  # older than what is in: refused
    for i in (5, 999, 1000, 1199):
        assert index.query(hexes[i], 0)[0].tolist() == [i + 1]

    stale = index.build_tables()
    index.remove(range(1, 1101))  # most rows dead: compaction moves the rest
    assert index.install(stale) is False  # built from rows that moved: refused
    assert index.query(hexes[1150], 0)[0].tolist() == [1151]
    assert index.query(hexes[5], 0)[0].size == 0


def test_searches_do_not_rebuild_an_index_that_opts_out() -> None:
    rng = np.random.default_rng(12)
    hexes = [c.tobytes().hex() for c in random_codes(rng, 500, 256)]
    index = HammingIndex(256, tail_limit=10, auto_rebuild=False)
    index.add(range(1, 501), hexes, [0] * 500)
    assert index.query(hexes[42], 0)[0].tolist() == [43]
    assert index.unbuilt_rows == 500  # scanned, not rebuilt by the search
