from __future__ import annotations

import pytest

from hashdb import SIGNAL_NAMES, InvalidHash, get_signal
from hashdb.signals import PdqSignal, SignalRegistry, SignalType


class SignalTypeContract:
    """Every signal type gets these tests by subclassing with ``signal`` and an ``example``."""

    signal: SignalType
    example: str

    def test_parse_normalises(self) -> None:
        assert self.signal.parse("  " + self.example.upper() + "\n") == self.example

    def test_wrong_length_and_bad_characters(self) -> None:
        with pytest.raises(InvalidHash, match=self.signal.name):
            self.signal.parse(self.example[:-1])
        with pytest.raises(InvalidHash, match="not a hex"):
            self.signal.parse("g" + self.example[1:])

    def test_distance_and_threshold(self) -> None:
        flipped = format(int(self.example, 16) ^ 1, f"0{len(self.example)}x")
        assert self.signal.distance(self.example, self.example) == 0
        assert self.signal.distance(self.example, flipped) == 1
        assert self.signal.matches(self.example, flipped) == (self.signal.default_threshold >= 1)
        assert self.signal.format(self.example) == self.example

    def test_registered_by_name(self) -> None:
        assert get_signal(self.signal.name.upper()) is get_signal(self.signal.name)
        assert self.signal.name in SIGNAL_NAMES


class TestPdq(SignalTypeContract):
    signal = get_signal("pdq")
    example = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


class TestPhash(SignalTypeContract):
    signal = get_signal("phash")
    example = "d215deb26caae990"


class TestMd5(SignalTypeContract):
    signal = get_signal("md5")
    example = "d41d8cd98f00b204e9800998ecf8427e"


class TestSha256(SignalTypeContract):
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
