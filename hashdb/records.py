"""The values the hash database hands out: lists, entries, matches, changes.

Frozen dataclasses with ``to_dict()`` giving JSON-ready dicts with stable field names and ISO-8601
UTC times, so every adapter (HTTP API, Discord, CLI ``--json``, exports) renders the same shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from hashdb.content_hash import ContentHash, HashVariant
from hashdb.signals import get_signal

__all__ = [
    "AddedEntries",
    "Change",
    "Decision",
    "Entry",
    "HashList",
    "ListKind",
    "MAX_ROW_ID",
    "Match",
    "MatchResult",
    "NewEntry",
    "Verdict",
    "Visibility",
    "iso",
]

ListKind = Literal["block", "allow"]
Visibility = Literal["private", "shared", "public"]
Verdict = Literal["confirmed", "false_positive"]
LIST_KINDS: tuple[str, ...] = ("block", "allow")
VISIBILITIES: tuple[str, ...] = ("private", "shared", "public")
VERDICTS: tuple[str, ...] = ("confirmed", "false_positive")
#: the largest entry id or change sequence number a store holds (64-bit signed in SQLite and
#: PostgreSQL): a larger number given as an id names no entry
MAX_ROW_ID = 2**63 - 1


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 in UTC with a ``Z``-free ``+00:00`` offset (what ``datetime.isoformat`` gives)."""
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True)
class HashList:
    """A named hash list with its own match threshold per signal type.

    ``kind="allow"`` lists hold known benign content (news footage, memorial images): matches on
    them are reported separately. ``exercise`` lists belong to drills and only ever hold drill
    hashes. ``owner``/``visibility``/``shared_with`` say which organisations may see the list (the
    API enforces it; see ``visible_to``).
    """

    name: str
    description: str
    labels: tuple[str, ...]
    thresholds: Mapping[str, int]
    kind: ListKind
    exercise: bool
    owner: str | None
    visibility: Visibility
    shared_with: tuple[str, ...]
    created_at: datetime
    created_by: str
    entry_count: int = 0

    def threshold(self, signal: str) -> int:
        """This list's threshold for ``signal`` (the signal type's default unless overridden)."""
        value = self.thresholds.get(signal)
        return get_signal(signal).default_threshold if value is None else int(value)

    def visible_to(self, organisation: str | None) -> bool:
        """Whether ``organisation`` may see this list (None means an operator: sees everything)."""
        if organisation is None or self.visibility == "public":
            return True
        if organisation == self.owner:
            return True
        return self.visibility == "shared" and organisation in self.shared_with

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "labels": list(self.labels),
            "thresholds": dict(self.thresholds),
            "kind": self.kind,
            "exercise": self.exercise,
            "owner": self.owner,
            "visibility": self.visibility,
            "shared_with": list(self.shared_with),
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
            "entry_count": self.entry_count,
        }


@dataclass(frozen=True)
class NewEntry:
    """One entry to add (``add_entries``); ``exercise`` must equal the target list's.

    ``variants`` are derived search hashes of the same signal type (``ContentHash.variants`` of a
    hash computed from pixels; see ``hashdb.variants``). An entry added from a hash alone has none.
    """

    signal: str
    value: str
    labels: Sequence[str] = ()
    source: str = ""
    incident_id: str | None = None
    quality: int | None = None
    allow_low_quality: bool = False
    exercise: bool = False
    variants: Sequence[HashVariant] = ()


@dataclass(frozen=True)
class Entry:
    """A hash in a list. Removal is soft: ``removed_at``/``removed_by``/``removal_reason``.

    ``variants``: the derived search hashes stored with it (crops of the original; empty for an
    entry added by hash alone). A match on one of them reports the entry.
    """

    id: int
    list_name: str
    signal: str
    value: str
    labels: tuple[str, ...]
    source: str
    incident_id: str | None
    added_by: str
    added_at: datetime
    removed_at: datetime | None = None
    removed_by: str | None = None
    removal_reason: str | None = None
    quality: int | None = None
    confirmed_count: int = 0
    false_positive_count: int = 0
    variants: tuple[HashVariant, ...] = ()

    @property
    def active(self) -> bool:
        return self.removed_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "list_name": self.list_name,
            "signal": self.signal,
            "value": self.value,
            "labels": list(self.labels),
            "source": self.source,
            "incident_id": self.incident_id,
            "added_by": self.added_by,
            "added_at": iso(self.added_at),
            "removed_at": iso(self.removed_at),
            "removed_by": self.removed_by,
            "removal_reason": self.removal_reason,
            "quality": self.quality,
            "confirmed_count": self.confirmed_count,
            "false_positive_count": self.false_positive_count,
            "variants": [v.to_dict() for v in self.variants],
        }


class AddedEntries(list[Entry]):
    """What one add of many hashes gives back: an entry per item, in the items' order.

    An item whose hash was already active in the list gets that entry back and is not inserted
    again. Why a list with one more attribute: every caller that wants the entries keeps a plain
    list, and the one that reports (a re-import after a crash: how many were new, how many
    already there) reads ``created``, the ids this add inserted.
    """

    def __init__(self, entries: Iterable[Entry], *, created: Iterable[int]) -> None:
        super().__init__(entries)
        self.created: frozenset[int] = frozenset(created)

    @property
    def new_count(self) -> int:
        """Entries this add inserted (an item repeated within the add counts once)."""
        return len(self.created)

    @property
    def present_count(self) -> int:
        """Items whose hash was already in the list (including repeats within this add)."""
        return len(self) - len(self.created)


@dataclass(frozen=True)
class Match:
    """One stored entry within its list's threshold of a query.

    ``labels`` are the entry's labels followed by the list's. ``likely_bad_hash`` is set when the
    entry has evidence against it no single caller can manufacture (false-positive verdicts of
    distinct platforms, its hash on an allow list: ``hashdb.bad_hash``).
    ``matched_variant`` names the stored variant that gave ``distance`` (``"crop-10"``), None when
    the entry's own hash did. ``distance`` is in the signal type's measure (``measure``: bits
    apart, or verified inliers for local features, where larger is nearer). ``detail`` is what
    the signal type adds about how it matched (the transform of a local-feature match: inliers,
    scale, rotation, region, mirrored; the frames of a video), JSON-ready; None for the hashes,
    and then left out of ``to_dict``. ``to_dict`` names the ``signal`` and the ``measure`` so a
    reader of one match knows which signal decided it and how to read its number.
    """

    entry: Entry
    list_name: str
    distance: int
    labels: tuple[str, ...]
    likely_bad_hash: bool = False
    matched_variant: str | None = None
    detail: Mapping[str, Any] | None = None

    @property
    def signal(self) -> str:
        """The signal type that matched (the entry's)."""
        return self.entry.signal

    @property
    def measure(self) -> str:
        """What ``distance`` counts for that type: "distance" (smaller is nearer) or a score
        such as "inliers" (larger is nearer); ``SignalType.measure``."""
        return get_signal(self.entry.signal).measure

    def describe(self) -> str:
        """``detail`` in words for people ("" when there is none): the same text in every
        adapter (``SignalType.describe_match``)."""
        return get_signal(self.entry.signal).describe_match(self.detail)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "entry": self.entry.to_dict(),
            "list_name": self.list_name,
            "signal": self.signal,
            "measure": self.measure,
            "distance": self.distance,
            "labels": list(self.labels),
            "likely_bad_hash": self.likely_bad_hash,
            "matched_variant": self.matched_variant,
        }
        if self.detail is not None:
            out["detail"] = dict(self.detail)
        return out


@dataclass(frozen=True)
class MatchResult:
    """The answer to one query hash: block-list matches and allow-list matches, nearest first."""

    query: ContentHash
    matches: list[Match] = field(default_factory=list)
    allow_matches: list[Match] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    @property
    def allowed(self) -> bool:
        """True when the query also matches known benign content."""
        return bool(self.allow_matches)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query.to_dict(),
            "matches": [m.to_dict() for m in self.matches],
            "allow_matches": [m.to_dict() for m in self.allow_matches],
        }


@dataclass(frozen=True)
class Decision:
    """One answer for one piece of content checked with every signal (``match_bytes``).

    The content matches when any signal type matched an entry of a block list; each ``Match``
    then says which signal it was, how near (``distance``, or verified inliers for local
    features: ``measure``) and, for local features, the transform found (``detail``).
    ``signals`` are the types that matched a block list, in the order of the results.
    """

    matched: bool
    allowed: bool
    signals: tuple[str, ...]

    @classmethod
    def of(cls, results: Iterable[MatchResult]) -> Decision:
        found = list(results)
        return cls(
            matched=any(r.matched for r in found),
            allowed=any(r.allowed for r in found),
            signals=tuple(dict.fromkeys(m.signal for r in found for m in r.matches)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"matched": self.matched, "allowed": self.allowed, "signals": list(self.signals)}


@dataclass(frozen=True)
class Change:
    """One line of the append-only change log; ``seq`` strictly increases.

    ``entry`` is the entry's current state (an "add" change of an entry removed later shows the
    removal fields too; the later "remove" change is what a delta-feed consumer acts on).
    """

    seq: int
    kind: Literal["add", "remove"]
    entry: Entry
    list_name: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "list_name": self.list_name,
            "at": iso(self.at),
            "entry": self.entry.to_dict(),
        }
