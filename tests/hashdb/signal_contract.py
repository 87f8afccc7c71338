"""The contract every signal type passes: subclass ``SignalTypeContract`` and get its test suite.

A new signal type's test module does::

    class TestMySignal(SignalTypeContract):
        signal = get_signal("mine")
        example = "..."    # a valid stored value, normalised
        near = "..."       # another value matching ``example`` at the default threshold
        unrelated = "..."  # a value that does not match ``example``

and overrides ``query`` when its queries carry more than the value (``QueryHash.detail``).
``HexSignalContract`` adds the checks of the fixed-width hex form (PDQ, pHash, MD5, SHA-256).
The index half drives ``SignalType.new_index()`` only through ``hashdb.signals.index_port``, as
the service does, so a type passing it works in the service without the service being edited.
"""

from __future__ import annotations

import pytest

from hashdb import InvalidArgument, InvalidHash, get_signal
from hashdb.content_hash import ContentHash, QueryHash
from hashdb.signals import SIGNALS, Hit, IndexRow, IndexRows, SignalIndex, SignalType

__all__ = ["HexSignalContract", "SignalTypeContract"]


class SignalTypeContract:
    """Parsing, comparing, thresholds, storing and the index port of one signal type."""

    signal: SignalType
    example: str
    near: str
    unrelated: str

    def query(self, value: str) -> QueryHash:
        """The query a lookup of ``value`` makes (override to add ``detail``)."""
        return QueryHash(ContentHash(self.signal.name, value), (value,))

    def _index(self, *rows: IndexRow) -> SignalIndex:
        index = self.signal.new_index()
        index.add(IndexRows.of(rows))
        return index

    def _found(self, index: SignalIndex, value: str, limits: dict[int, int]) -> dict[int, Hit]:
        (found,) = index.search([self.query(value)], limits)
        return found

    # -- the type ---------------------------------------------------------------------------
    def test_registered_by_name(self) -> None:
        assert get_signal(self.signal.name.upper()) is get_signal(self.signal.name)
        assert self.signal.name in SIGNALS.names()

    def test_parse_keeps_a_normalised_value(self) -> None:
        for value in (self.example, self.near, self.unrelated):
            assert self.signal.parse(value) == value

    def test_distance_agrees_with_the_default_threshold(self) -> None:
        assert self.signal.matches(self.example, self.example)
        assert self.signal.matches(self.example, self.near)
        assert not self.signal.matches(self.example, self.unrelated)

    def test_thresholds_a_list_may_set(self) -> None:
        signal = self.signal
        assert signal.check_threshold(signal.default_threshold) == signal.default_threshold
        assert signal.check_threshold(signal.max_threshold) == signal.max_threshold
        for bad in (signal.max_threshold + 1, -1, True, "5", 2.0):
            with pytest.raises(InvalidArgument, match=f"threshold for {signal.name}"):
                signal.check_threshold(bad)

    def test_stores_a_normal_value_and_refuses_unknown_variants(self) -> None:
        self.signal.check_stored(self.example, quality=None, allow_low_quality=False)
        assert self.signal.check_variants((), allow_low_quality=False) == ()
        with pytest.raises(InvalidArgument):
            self.signal.check_variants(["no-such-kind"], allow_low_quality=False)  # type: ignore[list-item]

    # -- the index --------------------------------------------------------------------------
    def test_index_finds_what_matches_and_not_the_rest(self) -> None:
        index = self._index(IndexRow(1, 0, self.example), IndexRow(2, 0, self.unrelated))
        assert len(index) == 2 and index.rows() >= 2  # rows: descriptors or frames may add
        found = self._found(index, self.near, {0: self.signal.default_threshold})
        assert list(found) == [1]
        hit = found[1]
        assert (hit.entry_id, hit.tag) == (1, 0)
        assert hit.distance == self.signal.distance(self.example, self.near)
        assert hit.variant is None

    def test_index_applies_each_lists_own_threshold(self) -> None:
        index = self._index(IndexRow(1, 0, self.example), IndexRow(2, 1, self.example))
        default = self.signal.default_threshold
        assert set(self._found(index, self.example, {0: default, 1: default})) == {1, 2}
        assert set(self._found(index, self.example, {1: default})) == {2}  # list 0 not searched
        assert self._found(index, self.example, {}) == {}

    def test_index_forgets_removed_entries(self) -> None:
        index = self._index(IndexRow(1, 0, self.example), IndexRow(2, 0, self.near))
        index.remove([1, 99])  # an unknown id is ignored
        assert len(index) == 1
        assert set(self._found(index, self.example, {0: self.signal.default_threshold})) == {2}
        index.remove([2])
        assert len(index) == 0
        assert self._found(index, self.example, {0: self.signal.default_threshold}) == {}

    def test_index_answers_a_batch_in_order_without_changing(self) -> None:
        index = self._index(IndexRow(7, 3, self.example))
        queries = [self.query(v) for v in (self.unrelated, self.near, self.example)]
        before = (len(index), index.rows())
        results = index.search(queries, {3: self.signal.default_threshold})
        assert [set(found) for found in results] == [set(), {7}, {7}]
        assert (len(index), index.rows()) == before

    def test_index_tables_built_aside_change_no_answer(self) -> None:
        index = self._index(IndexRow(1, 0, self.example), IndexRow(2, 0, self.unrelated))
        limits = {0: self.signal.default_threshold}
        before = self._found(index, self.near, limits)
        for table in index.parts():
            assert table.install(table.build_tables())
            assert not table.needs_rebuild() and table.unbuilt_rows == 0
        assert self._found(index, self.near, limits) == before


class HexSignalContract(SignalTypeContract):
    """A fixed-width hex type: ``near`` and ``unrelated`` follow from ``example``."""

    @property
    def near(self) -> str:  # type: ignore[override]
        """``example`` with its lowest bit flipped (``example`` itself for an exact type)."""
        if self.signal.exact:
            return self.example
        return format(int(self.example, 16) ^ 1, f"0{len(self.example)}x")

    @property
    def unrelated(self) -> str:  # type: ignore[override]
        """Every bit of ``example`` flipped."""
        return format(
            int(self.example, 16) ^ ((1 << self.signal.bits) - 1), f"0{len(self.example)}x"
        )

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
