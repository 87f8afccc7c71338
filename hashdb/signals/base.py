"""The signal-type interface and the registry of known types.

A signal type is a kind of hash (PDQ, pHash, MD5, SHA-256): it knows how to validate and normalise
the text form, how far apart two hashes are, and the distance at or below which two hashes count as
the same content. It does not hash bytes; that lives in ``hashdb.hashing`` so this module stays free
of image libraries. Modelled on python-threatexchange's ``signal_type``: a small class per type and
a registry that refuses duplicate names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import ClassVar

from hashdb.errors import InvalidHash

__all__ = ["HexHammingSignal", "SignalRegistry", "SignalType"]

_HEX = re.compile(r"^[0-9a-f]+$")


class SignalType:
    """One kind of hash. Subclasses set the class attributes and may override the methods.

    ``exact`` types (cryptographic digests) only match identical values and are looked up by
    dictionary; the others are perceptual and are searched by Hamming radius.
    """

    name: ClassVar[str]
    bits: ClassVar[int]
    default_threshold: ClassVar[int]
    exact: ClassVar[bool] = False
    #: other spellings accepted on import (ThreatExchange indicator types, HMA names)
    aliases: ClassVar[tuple[str, ...]] = ()

    def parse(self, text: str) -> str:
        """Validate ``text`` and return the normalised form (lower-case hex); raise InvalidHash."""
        raise NotImplementedError

    def format(self, value: str) -> str:
        """The text form for output (the normalised form unless a type says otherwise)."""
        return value

    def distance(self, a: str, b: str) -> int:
        """Distance between two normalised hashes (0 means identical)."""
        raise NotImplementedError

    def matches(self, a: str, b: str, threshold: int | None = None) -> bool:
        limit = self.default_threshold if threshold is None else threshold
        return self.distance(a, b) <= limit

    def __repr__(self) -> str:
        return f"<signal {self.name}>"


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
