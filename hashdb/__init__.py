"""Perceptual-hash database of violent extremist content (pure core: no Discord, no HTTP server).

Public surface (everything adapters may use is listed in ``__all__``):

- hashing: ``hash_bytes``, ``hash_file``, ``pdq_dihedral_variants``, ``ContentHash``,
  ``HashVariant`` (a derived search hash stored with an entry added from pixels), ``HashLimits``;
- signal types: ``SignalType``, ``get_signal``, ``SIGNAL_NAMES``, ``PdqSignal``, ``PhashSignal``,
  ``Md5Signal``, ``Sha256Signal``;
- the service: ``open_hash_service(db, ...)`` -> ``HashService`` with lists, entries, matching,
  change log and feedback; values ``HashList``, ``Entry``, ``NewEntry``, ``Match``,
  ``MatchResult``, ``Decision``, ``Change`` (all with ``to_dict()``);
- import/export: ``hashdb.formats`` (CSV, JSON lines, plain text);
- errors: ``hashdb.errors`` (root ``HashDBError``).

Modules: ``signals`` (hash kinds), ``decoding`` (hostile files to pixels), ``perceptual`` (PDQ,
pHash), ``localfeatures`` (ORB keypoints and geometric verification: the ``orb`` signal
type), ``video`` (frame PDQ), ``variants`` (crops stored with an entry, borders trimmed off a
query), ``hashing`` (bytes to hashes), ``index`` (exact radius search), ``store`` (databases),
``service`` (rules), ``formats`` (files), ``bad_hash`` (flagging).
"""

from __future__ import annotations

from hashdb.content_hash import ContentHash, HashVariant
from hashdb.decoding import HashLimits
from hashdb.errors import (
    DrillListViolation,
    EntryNotFound,
    FileTooLarge,
    HashDBError,
    ImportFormatError,
    InvalidArgument,
    InvalidHash,
    ListExists,
    ListNotFound,
    LowQualityHash,
    UnsupportedMedia,
)
from hashdb.hashing import hash_bytes, hash_file, pdq_dihedral_variants
from hashdb.records import Change, Decision, Entry, HashList, Match, MatchResult, NewEntry
from hashdb.service import HashService, open_hash_service, system_clock
from hashdb.signals import (
    SIGNAL_NAMES,
    Md5Signal,
    PdqSignal,
    PhashSignal,
    Sha256Signal,
    SignalType,
    get_signal,
)

__all__ = [
    "SIGNAL_NAMES",
    "Change",
    "Decision",
    "ContentHash",
    "DrillListViolation",
    "Entry",
    "EntryNotFound",
    "FileTooLarge",
    "HashDBError",
    "HashLimits",
    "HashList",
    "HashService",
    "HashVariant",
    "ImportFormatError",
    "InvalidArgument",
    "InvalidHash",
    "ListExists",
    "ListNotFound",
    "LowQualityHash",
    "Match",
    "MatchResult",
    "Md5Signal",
    "NewEntry",
    "PdqSignal",
    "PhashSignal",
    "Sha256Signal",
    "SignalType",
    "UnsupportedMedia",
    "get_signal",
    "hash_bytes",
    "hash_file",
    "open_hash_service",
    "pdq_dihedral_variants",
    "system_clock",
]
