"""A signal type added the documented way (a module and a registry entry) works end to end.

``BlockMeanSignal`` is a toy 64-bit average hash defined here, not shipped: registered for these
tests only, it is hashed from pixels (``HashesImages``), stored, indexed by the live index and
matched by ``HashService`` with no edit to the service, the live index or the matcher, and it
gets the contract suite for free. Its index adds a ``detail`` to each hit, and it declares that
it answers pHash queries, so both reach the results.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hashdb import open_hash_service
from hashdb.content_hash import ContentHash, QueryHash
from hashdb.signals import SIGNALS, HashesImages, HexHammingSignal, Hit, SignalType
from hashdb.signals.indexes import HammingSignalIndex
from tests.hashdb.imaging import encode, synthetic_photo
from tests.hashdb.signal_contract import HexSignalContract


class _DetailedIndex(HammingSignalIndex):
    """Every hit says how many bits differ, as ``detail``."""

    def search(
        self, queries: Sequence[QueryHash], limits: Mapping[int, int]
    ) -> list[dict[int, Hit]]:
        return [
            {i: hit._replace(detail={"bits_differing": hit.distance}) for i, hit in found.items()}
            for found in super().search(queries, limits)
        ]


class BlockMeanSignal(HexHammingSignal, HashesImages):
    """8x8 grey blocks, a bit per block above the mean."""

    name = "blockmean"
    bits = 64
    default_threshold = 6
    answers = ("phash",)

    def new_index(self) -> _DetailedIndex:
        return _DetailedIndex(self.bits, variant_kinds=(), variant_radius=0)

    def _value(self, image: Image.Image) -> str:
        grey = np.asarray(image.convert("L").resize((8, 8), Image.Resampling.BOX), float)
        bits = (grey > grey.mean()).ravel()
        return format(int("".join("1" if b else "0" for b in bits), 2), "016x")

    def hash_image(self, image: Image.Image) -> ContentHash | None:
        return ContentHash(self.name, self._value(image))

    def query_image(self, image: Image.Image) -> QueryHash | None:
        mirrored = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        value = self._value(image)
        return QueryHash(ContentHash(self.name, value), (value, self._value(mirrored)))


TOY = BlockMeanSignal()


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[SignalType]:
    """``TOY`` in the registry for one test (restored afterwards)."""
    monkeypatch.setitem(SIGNALS._by_name, TOY.name, TOY)
    monkeypatch.setitem(SIGNALS._lookup, TOY.name, TOY)
    yield TOY


class TestBlockMean(HexSignalContract):
    signal = TOY
    example = "f0f0f0f00f0f0f0f"


async def test_a_registered_type_is_hashed_stored_and_matched(tmp_path: Path) -> None:
    photo = synthetic_photo(3)
    mirrored = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    async with open_hash_service(str(tmp_path / "toy.db")) as service:
        await service.create_list("l", created_by="a", thresholds={"blockmean": 4})
        hashes = await service.hash_bytes(encode(photo))
        (toy,) = [h for h in hashes if h.signal == "blockmean"]
        entry = await service.add_entry("l", toy.signal, toy.value, added_by="a")
        assert service.index_sizes()["blockmean"] == 0  # until the next refresh
        await service.refresh()
        assert service.index_sizes()["blockmean"] == 1

        results = await service.match_bytes(encode(mirrored))  # found through the mirror
        (result,) = [r for r in results if r.query.signal == "blockmean"]
        (match,) = result.matches
        assert match.entry.id == entry.id and match.distance <= 4
        assert match.detail == {"bits_differing": match.distance}
        assert match.to_dict()["detail"] == {"bits_differing": match.distance}

        near = format(int(toy.value, 16) ^ 0b111, "016x")  # 3 bits off: within the list's 4
        assert [m.entry.id for m in (await service.match("blockmean", near)).matches] == [entry.id]
        # it answers pHash queries: a pHash value near its own finds it
        assert [m.entry.id for m in (await service.match("phash", near)).matches] == [entry.id]
        far = format(int(toy.value, 16) ^ 0b11111, "016x")  # 5 bits: past the list's threshold
        assert (await service.match("blockmean", far)).matches == []

        await service.remove_entry(entry.id, reason="test", removed_by="a")
        assert (await service.match("blockmean", toy.value)).matches == []
