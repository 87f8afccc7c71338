"""Signal types (kinds of hash) and the registry that names them.

Public surface: ``SignalType`` (the interface), the shipped types (PDQ, pHash, MD5, SHA-256
and the local features ``orb``), ``get_signal(name)``, ``SIGNAL_NAMES`` and ``SIGNALS`` (the
default registry: a new type is added here), and the index port a type's index implements
(``SignalIndex``, ``IndexRow``, ``Hit``; ``index_port``). Names are case-insensitive and a few
aliases used by ThreatExchange/HMA exports (``HASH_PDQ``, ``HASH_MD5``...) are accepted.
"""

from __future__ import annotations

from hashdb.signals.base import HashesImages, HexHammingSignal, SignalRegistry, SignalType
from hashdb.signals.index_port import Hit, IndexRow, IndexRows, Rebuildable, SignalIndex
from hashdb.signals.local_features import OrbSignal
from hashdb.signals.types import (
    PDQ_MIN_QUALITY,
    DigestSignal,
    Md5Signal,
    PdqSignal,
    PerceptualSignal,
    PhashSignal,
    Sha256Signal,
)
from hashdb.video.signal import VideoPdqSignal

__all__ = [
    "PDQ_MIN_QUALITY",
    "SIGNALS",
    "SIGNAL_NAMES",
    "DigestSignal",
    "HashesImages",
    "HexHammingSignal",
    "Hit",
    "IndexRow",
    "IndexRows",
    "Md5Signal",
    "OrbSignal",
    "PdqSignal",
    "PerceptualSignal",
    "PhashSignal",
    "Rebuildable",
    "Sha256Signal",
    "SignalIndex",
    "SignalRegistry",
    "SignalType",
    "VideoPdqSignal",
    "get_signal",
]

SIGNALS = SignalRegistry(
    [PdqSignal(), PhashSignal(), Md5Signal(), Sha256Signal(), OrbSignal(), VideoPdqSignal()]
)
SIGNAL_NAMES: tuple[str, ...] = SIGNALS.names()


def get_signal(name: str) -> SignalType:
    """The registered signal type called ``name`` (or an alias); InvalidHash if unknown."""
    return SIGNALS.get(name)
