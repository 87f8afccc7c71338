from __future__ import annotations

import pytest

from hashdb import InvalidArgument, InvalidHash, LowQualityHash, get_signal
from hashdb.content_hash import HashVariant
from hashdb.signals import IndexRow, IndexRows, PdqSignal, PerceptualSignal, SignalRegistry
from tests.hashdb.signal_contract import HexSignalContract


class PerceptualSignalContract(HexSignalContract):
    """A perceptual type's stored variants: searched within its ``variant_radius``."""

    def _variant(self, distance: int) -> str:
        """A value ``distance`` bits from ``unrelated`` (so it is far from ``example``)."""
        return format(int(self.unrelated, 16) ^ ((1 << distance) - 1), f"0{len(self.example)}x")

    def test_a_stored_variant_matches_within_the_variant_radius(self) -> None:
        signal = self.signal
        assert isinstance(signal, PerceptualSignal)
        variant = HashVariant("crop-10", self.unrelated)
        index = signal.new_index()
        index.add(IndexRows.of([IndexRow(1, 0, self.example, (variant,))]))
        assert (len(index), index.rows()) == (1, 2)
        limits = {0: signal.default_threshold}
        (found,) = index.search([self.query(self._variant(signal.variant_radius))], limits)
        assert found[1].variant == "crop-10" and found[1].distance == signal.variant_radius
        beyond = self._variant(signal.variant_radius + 1)  # within the threshold, not the radius
        assert signal.variant_radius + 1 <= signal.default_threshold
        assert index.search([self.query(beyond)], limits) == [{}]
        (found,) = index.search([self.query(self.example)], limits)
        assert found[1].variant is None  # the entry's own hash
        index.remove([1])
        assert index.rows() == 0

    def test_variants_are_checked(self) -> None:
        bad = HashVariant("crop-10", "xyz")
        with pytest.raises(InvalidHash):
            self.signal.check_variants([bad], allow_low_quality=True)
        good = HashVariant("crop-10", self.example.upper())
        twice = self.signal.check_variants([good, good], allow_low_quality=True)
        assert twice == (HashVariant("crop-10", self.example),)


class TestPdq(PerceptualSignalContract):
    signal = get_signal("pdq")
    example = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


class TestPhash(PerceptualSignalContract):
    signal = get_signal("phash")
    example = "d215deb26caae990"


class TestMd5(HexSignalContract):
    signal = get_signal("md5")
    example = "d41d8cd98f00b204e9800998ecf8427e"


class TestSha256(HexSignalContract):
    signal = get_signal("sha256")
    example = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_thresholds_and_widths() -> None:
    assert (get_signal("pdq").default_threshold, get_signal("pdq").bits) == (31, 256)
    assert (get_signal("phash").default_threshold, get_signal("phash").bits) == (10, 64)
    assert get_signal("md5").exact and get_signal("sha256").exact
    assert get_signal("md5").default_threshold == 0 == get_signal("sha256").default_threshold


def test_threatexchange_aliases() -> None:
    assert get_signal("HASH_PDQ").name == "pdq"
    assert get_signal("HASH_MD5").name == "md5"


def test_unknown_signal_names_the_known_ones() -> None:
    with pytest.raises(InvalidHash, match="unknown signal type 'tlsh'.*pdq"):
        get_signal("tlsh")


def test_registry_refuses_duplicates() -> None:
    registry = SignalRegistry([PdqSignal()])
    with pytest.raises(ValueError, match="already registered"):
        registry.register(PdqSignal())


def test_non_string_hash() -> None:
    with pytest.raises(InvalidHash, match="expected a hex string"):
        get_signal("pdq").parse(123)  # type: ignore[arg-type]


def test_pdq_refuses_to_store_low_quality_unless_allowed() -> None:
    pdq = get_signal("pdq")
    example = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    with pytest.raises(LowQualityHash, match="quality 49"):
        pdq.check_stored(example, quality=49, allow_low_quality=False)
    with pytest.raises(LowQualityHash, match="0 of 256 bits"):
        pdq.check_stored("0" * 64, quality=None, allow_low_quality=False)
    pdq.check_stored("0" * 64, quality=None, allow_low_quality=True)
    flat = HashVariant("crop-10", "0" * 64)
    with pytest.raises(LowQualityHash):
        pdq.check_variants([flat], allow_low_quality=False)
    get_signal("phash").check_stored("0" * 16, quality=None, allow_low_quality=False)


def test_digests_take_no_variants() -> None:
    with pytest.raises(InvalidArgument, match="exact matches only"):
        get_signal("md5").check_variants(
            [HashVariant("crop-10", "d41d8cd98f00b204e9800998ecf8427e")], allow_low_quality=True
        )
