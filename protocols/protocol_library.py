"""The protocol library: the protocols shipped in ``protocols/library/`` plus deployment folders.

Why a library object and not a global registry: the core keeps no global state; the composition
root builds one library (with the deployment's ``protocols.extra_dirs``) and passes it in.
A later folder may not redefine a protocol id: duplicate ids are an error, never a silent override.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from protocols.errors import ProtocolLoadError, UnknownProtocol
from protocols.loader import load_protocol
from protocols.model import Protocol

__all__ = ["SHIPPED_DIR", "ProtocolLibrary"]

SHIPPED_DIR = Path(__file__).resolve().parent / "library"


class ProtocolLibrary:
    """Every protocol from the shipped folder and ``extra_dirs``, validated at construction."""

    def __init__(
        self, extra_dirs: Iterable[str | Path] = (), *, include_shipped: bool = True
    ) -> None:
        dirs = [SHIPPED_DIR] if include_shipped else []
        dirs.extend(Path(d) for d in extra_dirs)
        self._protocols: dict[str, Protocol] = {}
        for folder in dirs:
            if not folder.is_dir():
                raise ProtocolLoadError(str(folder), 1, 1, "protocol folder does not exist")
            for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
                self.add(load_protocol(path))

    def add(self, protocol: Protocol) -> None:
        """Add a protocol; refuse an id that is already present."""
        existing = self._protocols.get(protocol.id)
        if existing is not None:
            raise ProtocolLoadError(
                protocol.source or protocol.id,
                1,
                1,
                f"protocol id {protocol.id!r} is already defined in {existing.source}",
            )
        self._protocols[protocol.id] = protocol

    def get(self, protocol_id: str) -> Protocol:
        try:
            return self._protocols[protocol_id]
        except KeyError:
            known = ", ".join(sorted(self._protocols)) or "none"
            raise UnknownProtocol(f"no protocol {protocol_id!r} (known: {known})") from None

    def all(self) -> list[Protocol]:
        return sorted(self._protocols.values(), key=lambda p: p.id)

    def __contains__(self, protocol_id: object) -> bool:
        return protocol_id in self._protocols
