"""What a hash list and an entry must be before they are written: the checks every write passes.

Pure functions (no store, no clock): ``new_hash_list`` checks a list's fields and builds it,
``check_entry`` checks one item against its list and returns it normalised. What a value of a
signal type must be (its form, low quality, its variants, a list's threshold for it) is the
signal type's to say (``hashdb.signals``); the rules here are the ones every type shares: list
names, kinds and visibility, labels, the quality score, and drill separation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TypeGuard

from hashdb.errors import DrillListViolation, HashDBError, InvalidArgument, LowQualityHash
from hashdb.records import LIST_KINDS, VISIBILITIES, HashList, ListKind, NewEntry, Visibility
from hashdb.signals import get_signal

__all__ = ["check_entry", "clean_labels", "new_hash_list", "skip_low_quality"]

_LIST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$")


def clean_labels(values: Sequence[str] | str) -> tuple[str, ...]:
    """Labels stripped, empty ones dropped, duplicates dropped (first kept); InvalidArgument for
    one longer than 100 characters or spanning lines."""
    if isinstance(values, str):
        values = [values]
    out = []
    for value in values:
        label = str(value).strip()
        if not label:
            continue
        if len(label) > 100 or any(c in label for c in "\n\r\t"):
            raise InvalidArgument(f"bad label {label[:40]!r}: at most 100 characters, one line")
        out.append(label)
    return tuple(dict.fromkeys(out))


def _is_list_kind(kind: str) -> TypeGuard[ListKind]:
    """The check that lets the type checker treat ``kind`` as a ``ListKind`` afterwards."""
    return kind in LIST_KINDS


def _is_visibility(visibility: str) -> TypeGuard[Visibility]:
    """The check that lets the type checker treat ``visibility`` as a ``Visibility`` afterwards."""
    return visibility in VISIBILITIES


def new_hash_list(
    name: str,
    *,
    description: str,
    labels: Sequence[str],
    thresholds: Mapping[str, int] | None,
    kind: str,
    exercise: bool,
    owner: str | None,
    visibility: str,
    shared_with: Sequence[str],
    created_by: str,
    at: datetime,
) -> HashList:
    """The list to create, every field checked (InvalidArgument: bad name, kind, visibility or
    threshold; InvalidHash: a threshold for an unknown signal type)."""
    if not isinstance(name, str) or not _LIST_NAME.match(name):
        raise InvalidArgument(
            f"bad list name {name!r}: 1-100 characters, letters, digits and _ . : - "
            "(starting with a letter or digit)"
        )
    if not _is_list_kind(kind):
        raise InvalidArgument(f"bad list kind {kind!r} (expected one of {LIST_KINDS})")
    if not _is_visibility(visibility):
        raise InvalidArgument(f"bad visibility {visibility!r} (expected one of {VISIBILITIES})")
    if not created_by:
        raise InvalidArgument("created_by is required")
    checked: dict[str, int] = {}
    for signal_name, value in (thresholds or {}).items():
        signal = get_signal(signal_name)
        checked[signal.name] = signal.check_threshold(value)
    return HashList(
        name=name,
        description=description,
        labels=clean_labels(labels),
        thresholds=checked,
        kind=kind,
        exercise=bool(exercise),
        owner=owner,
        visibility=visibility,
        shared_with=tuple(dict.fromkeys(shared_with)),
        created_at=at,
        created_by=created_by,
    )


def check_entry(hash_list: HashList, item: NewEntry) -> NewEntry:
    """``item`` normalised for ``hash_list``; InvalidHash, InvalidArgument, LowQualityHash or
    DrillListViolation (an exercise hash in a real list or the reverse) if it may not go in."""
    signal = get_signal(item.signal)
    value = signal.parse(item.value)
    if item.exercise != hash_list.exercise:
        if hash_list.exercise:
            raise DrillListViolation(
                f"list {hash_list.name!r} is an exercise list: only drill hashes "
                "(exercise=True) may be added to it"
            )
        raise DrillListViolation(
            f"list {hash_list.name!r} holds real content: drill hashes may not be added to it"
        )
    quality = item.quality
    if quality is not None and (isinstance(quality, bool) or not 0 <= int(quality) <= 100):
        raise InvalidArgument(f"quality must be between 0 and 100, got {quality!r}")
    quality = None if quality is None else int(quality)
    signal.check_stored(value, quality=quality, allow_low_quality=item.allow_low_quality)
    variants = signal.check_variants(tuple(item.variants), allow_low_quality=item.allow_low_quality)
    return NewEntry(
        signal=signal.name,
        value=value,
        labels=clean_labels(item.labels),
        source=str(item.source or ""),
        incident_id=item.incident_id or None,
        quality=quality,
        allow_low_quality=item.allow_low_quality,
        exercise=item.exercise,
        variants=variants,
    )


def skip_low_quality(
    items: Sequence[NewEntry],
) -> tuple[list[NewEntry], list[tuple[NewEntry, LowQualityHash]]]:
    """The hashes of one file that a list may store, and the others with why not.

    A file is added as all its hashes at once (``HashService.add_entries`` is all or nothing),
    so a dark or flat picture's low-quality PDQ would refuse its MD5, SHA-256, pHash and local
    features too, though they are worth storing: attack footage has dark frames. The caller adds
    the first list and reports the second (each error names the hash and how to add it anyway).
    Only ``LowQualityHash`` is set aside; any other problem is left for ``check_entry`` to raise.
    """
    kept: list[NewEntry] = []
    skipped: list[tuple[NewEntry, LowQualityHash]] = []
    for item in items:
        signal = get_signal(item.signal)
        try:
            signal.check_stored(
                signal.parse(item.value),
                quality=item.quality,
                allow_low_quality=item.allow_low_quality,
            )
        except LowQualityHash as exc:
            skipped.append((item, exc))
            continue
        except HashDBError:
            pass  # a malformed item: ``check_entry`` refuses it with the batch
        kept.append(item)
    return kept, skipped
