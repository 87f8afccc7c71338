"""The protocol library: the protocols shipped in ``protocols/library/`` plus deployment folders.

Why a library object and not a global registry: the core keeps no global state; the composition
root builds one library (with the deployment's ``protocols.extra_dirs``) and passes it in.
A later folder may not redefine a protocol id: duplicate ids are an error, never a silent override.

Why ``skip_invalid``: a deployment folder is edited by people, possibly during an incident. Tools
that work on existing incidents (which run under their own protocol snapshot) must not stop
because someone saved a broken file; they pass ``skip_invalid=True``, leave that file out and
show ``problems``. Validation and start-up stay strict (the default).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from protocols.definition import Protocol
from protocols.errors import ProtocolLoadError, UnknownProtocol
from protocols.loader import load_protocol

__all__ = ["SHIPPED_DIR", "ProtocolLibrary"]

SHIPPED_DIR = Path(__file__).resolve().parent / "library"


class ProtocolLibrary:
    """Every protocol from the shipped folder and ``extra_dirs``, validated at construction."""

    def __init__(
        self,
        extra_dirs: Iterable[str | Path] = (),
        *,
        include_shipped: bool = True,
        skip_invalid: bool = False,
    ) -> None:
        dirs = [SHIPPED_DIR] if include_shipped else []
        dirs.extend(Path(d) for d in extra_dirs)
        self._protocols: dict[str, Protocol] = {}
        #: files left out because they are invalid (only with ``skip_invalid``)
        self.problems: list[ProtocolLoadError] = []
        for folder in dirs:
            try:
                if not folder.is_dir():
                    raise ProtocolLoadError(str(folder), 1, 1, "protocol folder does not exist")
                for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
                    self._load(path, skip_invalid)
            except ProtocolLoadError as exc:
                if not skip_invalid:
                    raise
                self.problems.append(exc)

    def _load(self, path: Path, skip_invalid: bool) -> None:
        try:
            self.add(load_protocol(path))
        except ProtocolLoadError as exc:
            if not skip_invalid:
                raise
            self.problems.append(exc)

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
