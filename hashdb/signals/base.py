"""The signal-type interface and the registry of known types.

A signal type is a kind of hash (PDQ, pHash, MD5, SHA-256): it knows how to validate and normalise
the text form, how far apart two hashes are, the distance at or below which two hashes count as
the same content, what it refuses to store and which index holds its entries. It does not hash
bytes; that lives in ``hashdb.hashing``. Modelled on python-threatexchange's ``signal_type``: a
small class per type and a registry that refuses duplicate names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from hashdb.content_hash import ContentHash, HashVariant, QueryHash
from hashdb.errors import InvalidArgument, InvalidHash
from hashdb.signals.index_port import SignalIndex

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["HashesImages", "HexHammingSignal", "SignalRegistry", "SignalType"]

_HEX = re.compile(r"^[0-9a-f]+$")


class SignalType:
    """One kind of hash. Subclasses set the class attributes and may override the methods.

    A type owns everything the service does with its values: parsing (``parse``), comparing
    (``distance``, ``higher_is_better``), the thresholds a list may set (``check_threshold``),
    what it refuses to store (``check_stored``, ``check_variants``), its in-memory index
    (``new_index``: python-threatexchange's ``get_index_cls``), which queries that index answers
    (``answers``, ``searches``) and whether its matched entries are judged by the likely-bad-hash
    rule (``flags_bad_hashes``). So adding a type is a module and a registry entry
    (``docs/signal-types.md``); ``tests/hashdb/signal_contract.py`` gives it a test suite.

    ``exact`` types (cryptographic digests) only match identical values.
    """

    name: ClassVar[str]
    bits: ClassVar[int]
    default_threshold: ClassVar[int]
    exact: ClassVar[bool] = False
    #: other spellings accepted on import (ThreatExchange indicator types, HMA names)
    aliases: ClassVar[tuple[str, ...]] = ()
    #: True when ``distance`` is a score (an inlier count): a match is at or above the threshold
    #: and larger is nearer. Only the type's own index applies thresholds; the matcher uses this
    #: to order matches best first.
    higher_is_better: ClassVar[bool] = False
    #: other types whose queries this type's index also answers (a video index answers an
    #: image's ``pdq`` query by searching its frames); its own name is implied
    answers: ClassVar[tuple[str, ...]] = ()
    #: other types whose indexes this type's queries are also searched in (a video query looks
    #: for stored image ``pdq`` entries among its frames)
    searches: ClassVar[tuple[str, ...]] = ()
    #: what ``distance`` (so ``Match.distance``) counts, for people and clients reading a match:
    #: "distance" (bits apart) or a score such as "inliers"
    measure: ClassVar[str] = "distance"
    #: True when searching this type's index costs milliseconds per query (geometric
    #: verification): the matcher then runs its searches in a worker thread whatever the batch
    #: size, so they never hold up the event loop
    costly_search: ClassVar[bool] = False

    def parse(self, text: str) -> str:
        """Validate ``text`` and return the normalised form (lower-case hex); raise InvalidHash."""
        raise NotImplementedError

    def format(self, value: str) -> str:
        """The text form for output (the normalised form unless a type says otherwise)."""
        return value

    def summary(self, value: str) -> str:
        """A short form of a value for people (a table row, a chat line): the value itself
        unless the type's values are long (a local-feature blob is 20 KB of text)."""
        return self.format(value)

    def describe_match(self, detail: Mapping[str, Any] | None) -> str:
        """A match's ``detail`` in words for people ("" when there is nothing to say), so that
        every adapter renders the same text without knowing the type."""
        return ""

    def distance(self, a: str, b: str) -> int:
        """Distance between two normalised hashes (0 means identical); a score for a type with
        ``higher_is_better``."""
        raise NotImplementedError

    def matches(self, a: str, b: str, threshold: int | None = None) -> bool:
        limit = self.default_threshold if threshold is None else threshold
        if self.higher_is_better:
            return self.distance(a, b) >= limit
        return self.distance(a, b) <= limit

    @property
    def max_threshold(self) -> int:
        """The largest threshold a list may set: half the bits (past it, unrelated hashes
        match)."""
        return self.bits // 2

    def check_threshold(self, value: object) -> int:
        """A list's threshold for this type, checked; InvalidArgument if out of range."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgument(f"threshold for {self.name} must be an integer")
        if not 0 <= value <= self.max_threshold:
            raise InvalidArgument(
                f"threshold for {self.name} must be between 0 and {self.max_threshold}"
            )
        return value

    def check_stored(self, value: str, *, quality: int | None, allow_low_quality: bool) -> None:
        """Refuse a parsed value that must not be stored (raise a HashDBError such as
        LowQualityHash). The default stores anything ``parse`` accepts."""

    def check_variants(
        self, variants: Sequence[HashVariant], *, allow_low_quality: bool
    ) -> tuple[HashVariant, ...]:
        """The derived values to store with an entry, checked and normalised (duplicates
        dropped); InvalidArgument for what the type does not take. The default takes none."""
        if variants:
            raise InvalidArgument(f"{self.name} hashes have no variants")
        return ()

    def query_hash(self, value: str) -> QueryHash:
        """What a lookup of a stored-form ``value`` searches (``HashService.match``): the value
        itself. A type whose value holds many hashes (a video's frames) says what to search."""
        return QueryHash(ContentHash(self.name, value), (value,))

    @property
    def flags_bad_hashes(self) -> bool:
        """Whether matched entries are judged by the likely-bad-hash rule (``hashdb.bad_hash``):
        perceptual types, where a flat or generic image matches much; not exact digests."""
        return not self.exact

    def new_index(self) -> SignalIndex:
        """A new, empty index of this type's entries (``hashdb.signals.index_port``)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<signal {self.name}>"


class HashesImages:
    """Opt-in capability of a signal type computed from an image's pixels (python-threatexchange's
    ``BytesHasher``, for decoded images): mix it into the type and ``hashdb.hashing`` calls it for
    every image, after the shipped PDQ and pHash (which ``hashdb.hashing`` computes itself).

    The image is decoded once, already checked against the limits, EXIF-rotated and in RGB.
    """

    def hash_image(self, image: Image.Image) -> ContentHash | None:
        """The value to store when ``image`` is added to a list (``hash_bytes``); None when the
        image gives nothing worth storing (a flat or tiny picture), which is not an error."""
        raise NotImplementedError

    def query_image(self, image: Image.Image) -> QueryHash | None:
        """What a check of ``image`` searches for (``hash_bytes_for_query``): the query's
        ``search_values`` (its value and its mirror's, say) and any ``detail`` the type's index
        reads; None when the image gives nothing to search."""
        raise NotImplementedError


class HexHammingSignal(SignalType):
    """A fixed-width hash written in hex and compared by Hamming distance."""

    def parse(self, text: str) -> str:
        if not isinstance(text, str):
            raise InvalidHash(f"{self.name}: expected a hex string, got {type(text).__name__}")
        value = text.strip().lower().removeprefix("0x")
        width = self.bits // 4
        if len(value) != width:
            shown = value if len(value) <= 80 else value[:77] + "..."
            raise InvalidHash(
                f"{self.name}: expected {width} hex digits, got {len(value)} ({shown!r})"
            )
        if not _HEX.match(value):
            raise InvalidHash(f"{self.name}: not a hex string: {value!r}")
        return value

    def distance(self, a: str, b: str) -> int:
        return (int(a, 16) ^ int(b, 16)).bit_count()


class SignalRegistry:
    """Signal types by name (and alias, case-insensitively); duplicate names are refused."""

    def __init__(self, signals: Iterable[SignalType] = ()) -> None:
        self._by_name: dict[str, SignalType] = {}
        self._lookup: dict[str, SignalType] = {}
        for signal in signals:
            self.register(signal)

    def register(self, signal: SignalType) -> None:
        for key in (signal.name, *signal.aliases):
            if key.lower() in self._lookup:
                raise ValueError(f"signal type name {key!r} is already registered")
        self._by_name[signal.name] = signal
        for key in (signal.name, *signal.aliases):
            self._lookup[key.lower()] = signal

    def get(self, name: str) -> SignalType:
        found = self._lookup.get(name) if isinstance(name, str) else None
        if found is not None:  # the usual case, once per hash of every batch: keep it cheap
            return found
        try:
            return self._lookup[str(name).strip().lower()]
        except KeyError:
            known = ", ".join(self._by_name)
            raise InvalidHash(f"unknown signal type {name!r} (known: {known})") from None

    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def __iter__(self) -> Iterator[SignalType]:
        return iter(self._by_name.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().lower() in self._lookup
