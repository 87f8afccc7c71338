"""Import and export of hash lists: CSV, JSON lines and plain text.

- **CSV** follows the columns hash-sharing programmes and python-threatexchange / HMA users pass
  around for PDQ lists: ``hash,signal_type,labels`` (labels joined with ``,`` inside the field;
  ``;`` is accepted on import). Optional columns ``source``, ``incident_id``, ``quality``. The
  header row is required; ``signal_type`` may be missing (then every row is ``default_signal``)
  and accepts ThreatExchange spellings (``HASH_PDQ``, ``HASH_MD5``...). Export adds ``id``,
  ``list_name``, ``added_by``, ``added_at``.
- **JSON lines**: one object per line; import reads ``signal`` (or ``signal_type``), ``value`` (or
  ``hash``), ``labels`` (list or string), ``source``, ``incident_id``, ``quality``, ``variants``
  (the derived search hashes, ``[{"kind", "value"}]``); export writes ``Entry.to_dict()``, so a
  JSON-lines export and import keeps the variants. CSV and text carry an entry's own hash only.
- **Plain text**: ``<signal type> <hash>`` per line, the form existing hash-matching services
  import; blank lines and ``#`` comments are skipped.
- **vPDQ** (``hashdb.video.vpdq``): ``vpdq`` reads one video's per-frame text (Meta's vPDQ
  tools write it) as one ``vpdq`` entry; ``vpdq-jsonl`` reads and writes one video per line
  (``{"name", "md5", "sha256", "duration", "fps", "frames": [...], "labels", ...}``); its export
  writes the list's video entries only. A video entry also travels in the other formats as one
  value (JSON lines and text at any length; CSV up to Python's field limit of 131,072
  characters, about half an hour at one frame a second).

Parsing is lazy (``iter_parsed`` yields ``(line number, entry or ImportFormatError)`` per data
line, 1-based) so a batch can carry on past bad lines and report them all at the end;
export is lazy too (``iter_export`` yields lines) so the API can stream large lists.

Files are UTF-8 (``text_lines`` turns a file opened in binary into the lines the parsers take):
a byte-order mark in front (Excel writes one when it saves "CSV UTF-8") is dropped, and bytes
that are not UTF-8 (a Latin-1 or Windows-1252 export) stop the import with the file and line,
before anything is written: a file in another encoding is the wrong file as a whole, and the
labels of its other lines would be stored garbled without a word.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import Any

from hashdb.content_hash import HashVariant
from hashdb.errors import HashDBError, ImportFormatError, InvalidArgument
from hashdb.records import Entry, NewEntry
from hashdb.signals import get_signal

__all__ = [
    "CSV_COLUMNS",
    "ENTRY_FORMATS",
    "EXPORT_FORMATS",
    "FORMATS",
    "Parsed",
    "detect_format",
    "iter_export",
    "iter_parsed",
    "json_objects",
    "parse_entries",
    "text_lines",
]

#: formats that carry entries of every signal type
ENTRY_FORMATS: tuple[str, ...] = ("csv", "jsonl", "text")
#: every format an import reads: the entry formats and the videos' (``hashdb.video.vpdq``)
FORMATS: tuple[str, ...] = (*ENTRY_FORMATS, "vpdq", "vpdq-jsonl")
#: what a list exports to (a ``vpdq`` text file holds one video, not a list)
EXPORT_FORMATS: tuple[str, ...] = (*ENTRY_FORMATS, "vpdq-jsonl")
CSV_COLUMNS = ("hash", "signal_type", "labels", "source", "incident_id", "quality")
#: what the parsers yield per data line: its 1-based number and the entry or the error
Parsed = tuple[int, NewEntry | ImportFormatError]
_EXPORT_CSV_COLUMNS = (*CSV_COLUMNS, "id", "list_name", "added_by", "added_at")
_LABEL_SPLIT = re.compile(r"[,;]")
_SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".vpdq": "vpdq",
}
#: after a carriage return not followed by a line feed (old Mac line ends), as text mode splits
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")
_BOM = "\ufeff"


def detect_format(filename: str, explicit: str | None = None) -> str:
    """``explicit`` if given, else from the file suffix (.csv, .jsonl/.ndjson, .txt)."""
    if explicit:
        if explicit not in FORMATS:
            raise InvalidArgument(f"unknown format {explicit!r} (known: {', '.join(FORMATS)})")
        return explicit
    fmt = _SUFFIXES.get(PurePath(filename).suffix.lower())
    if fmt is None:
        raise InvalidArgument(
            f"{filename}: cannot tell the format from the name; pass one of {', '.join(FORMATS)}"
        )
    return fmt


def text_lines(lines: Iterable[bytes], *, source: str = "<input>") -> Iterator[str]:
    """The text lines of a file opened in binary (``open(path, "rb")``), as ``open(path,
    encoding="utf-8", newline="")`` would give them, without a leading byte-order mark; a line
    that is not UTF-8 raises :class:`ImportFormatError` with its number."""
    number = 0
    for raw in lines:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportFormatError(
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start + 1} of the "
                "line); save the file as UTF-8",
                line=number + 1,
                source=source,
            ) from None
        if number == 0:
            text = text.removeprefix(_BOM)
        for line in _LONE_CR.split(text) if "\r" in text else (text,):
            if line:
                number += 1
                yield line


def _split_labels(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in _LABEL_SPLIT.split(str(value)) if part.strip()]


def _quality(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        raise InvalidArgument(f"quality must be an integer, got {value!r}") from None


def _entry(signal: object, value: object, **extra: object) -> NewEntry:
    sig = get_signal(str(signal or ""))
    if not isinstance(value, str):
        raise InvalidArgument(f"the hash must be a string, got {value!r}")
    incident = extra.get("incident_id")
    return NewEntry(
        signal=sig.name,
        value=sig.parse(value),
        labels=tuple(_split_labels(extra.get("labels"))),
        source=str(extra.get("source") or ""),
        incident_id=str(incident) if incident else None,
        quality=_quality(extra.get("quality")),
        variants=_variants(extra.get("variants")),
        exercise=extra.get("drill") is True,
    )


def _variants(value: object) -> tuple[HashVariant, ...]:
    """JSON lines' ``variants``: ``[{"kind": ..., "value": ...}]`` as exported (the service checks
    kinds and values)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and isinstance(v.get("kind"), str) and isinstance(v.get("value"), str)
        for v in value
    ):
        raise InvalidArgument('variants must be a list of {"kind": ..., "value": ...} objects')
    return tuple(HashVariant(v["kind"], v["value"]) for v in value)


def _csv_rows(lines: Iterable[str], source: str, default_signal: str) -> Iterator[Parsed]:
    reader = csv.reader(lines)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, ImportFormatError(f"bad CSV header: {exc}", line=1, source=source)
        return
    if "hash" not in header:
        yield (
            1,
            ImportFormatError(
                f"the CSV header must name a 'hash' column (got {','.join(header)!r})",
                line=1,
                source=source,
            ),
        )
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield (
                reader.line_num,
                ImportFormatError(f"bad CSV: {exc}", line=reader.line_num, source=source),
            )
            return
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            yield (
                reader.line_num,
                ImportFormatError(
                    f"{len(row)} fields but the header has {len(header)}",
                    line=reader.line_num,
                    source=source,
                ),
            )
            continue
        fields = dict(zip(header, row, strict=False))
        try:
            yield (
                reader.line_num,
                _entry(
                    fields.get("signal_type") or default_signal,
                    fields.get("hash", "").strip(),
                    labels=fields.get("labels"),
                    source=fields.get("source"),
                    incident_id=fields.get("incident_id"),
                    quality=fields.get("quality"),
                ),
            )
        except HashDBError as exc:
            yield reader.line_num, ImportFormatError(str(exc), line=reader.line_num, source=source)


def json_objects(
    lines: Iterable[str], source: str
) -> Iterator[tuple[int, dict[str, Any] | ImportFormatError]]:
    """``(line number, object or error)`` for each non-blank line of a JSON-lines file: the
    reading shared by every JSON-lines import (entries here, videos in ``hashdb.video.vpdq``)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, ImportFormatError(f"invalid JSON: {exc.msg}", line=number, source=source)
            continue
        if not isinstance(obj, dict):
            yield number, ImportFormatError("expected a JSON object", line=number, source=source)
            continue
        yield number, obj


def _jsonl_rows(lines: Iterable[str], source: str, default_signal: str) -> Iterator[Parsed]:
    for number, obj in json_objects(lines, source):
        if isinstance(obj, ImportFormatError):
            yield number, obj
            continue
        try:
            yield (
                number,
                _entry(
                    obj.get("signal") or obj.get("signal_type") or default_signal,
                    obj.get("value", obj.get("hash")),
                    labels=obj.get("labels"),
                    source=obj.get("source"),
                    incident_id=obj.get("incident_id"),
                    quality=obj.get("quality"),
                    variants=obj.get("variants"),
                    # a line of a drill list's export says so: the service then refuses it for
                    # a real list (drill hashes never reach real lists, even by file)
                    drill=obj.get("drill"),
                ),
            )
        except HashDBError as exc:
            yield number, ImportFormatError(str(exc), line=number, source=source)


def _text_rows(lines: Iterable[str], source: str, default_signal: str) -> Iterator[Parsed]:
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        parts = text.split()
        if len(parts) != 2:
            yield (
                number,
                ImportFormatError(
                    f"expected '<signal type> <hash>', got {text[:80]!r}",
                    line=number,
                    source=source,
                ),
            )
            continue
        try:
            yield number, _entry(parts[0], parts[1])
        except HashDBError as exc:
            yield number, ImportFormatError(str(exc), line=number, source=source)


def _vpdq_rows(lines: Iterable[str], source: str, default_signal: str) -> Iterator[Parsed]:
    """The whole file is one video's per-frame text: one ``vpdq`` entry."""
    from hashdb.video.vpdq import read_vpdq  # the video package reads JSON lines through here

    try:
        video = read_vpdq(list(lines), source=source)
    except ImportFormatError as exc:
        yield exc.line, exc
        return
    yield 1, NewEntry("vpdq", video.to_value(), source=PurePath(source).name)


def _vpdq_jsonl_rows(lines: Iterable[str], source: str, default_signal: str) -> Iterator[Parsed]:
    from hashdb.video.vpdq import iter_video_jsonl

    for number, record in iter_video_jsonl(lines, source=source):
        if isinstance(record, ImportFormatError):
            yield number, record
            continue
        fields = record.fields
        try:
            yield (
                number,
                _entry(
                    "vpdq",
                    record.video.to_value(),
                    labels=fields.get("labels"),
                    source=fields.get("source") or record.video.name,
                    incident_id=fields.get("incident_id"),
                    drill=fields.get("drill"),
                ),
            )
        except HashDBError as exc:
            yield number, ImportFormatError(str(exc), line=number, source=source)


_PARSERS = {
    "csv": _csv_rows,
    "jsonl": _jsonl_rows,
    "text": _text_rows,
    "vpdq": _vpdq_rows,
    "vpdq-jsonl": _vpdq_jsonl_rows,
}


def iter_parsed(
    lines: Iterable[str], fmt: str, *, source: str = "<input>", default_signal: str = "pdq"
) -> Iterator[Parsed]:
    """``(line, item)`` per data line: a ``NewEntry`` or, if the line is bad, an
    ``ImportFormatError`` (returned, not raised, so a batch can go on)."""
    if fmt not in _PARSERS:
        raise InvalidArgument(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    return _PARSERS[fmt](lines, source, default_signal)


def parse_entries(
    lines: Iterable[str], fmt: str, *, source: str = "<input>", default_signal: str = "pdq"
) -> list[NewEntry]:
    """Every entry of a file; raises the first ``ImportFormatError`` (with its line number)."""
    out = []
    for _, item in iter_parsed(lines, fmt, source=source, default_signal=default_signal):
        if isinstance(item, ImportFormatError):
            raise item
        out.append(item)
    return out


def _csv_line(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(["" if v is None else v for v in values])
    return buffer.getvalue()


def iter_export(entries: Iterable[Entry], fmt: str, *, drill: bool | None = None) -> Iterator[str]:
    """Lines (each ending in a newline) of ``entries`` in ``fmt``; CSV starts with its header.

    ``drill`` (the API passes it) adds ``"drill"`` to every JSON line, so a line of an exercise
    list read on its own still says it is not real; importers ignore the field.
    """
    if fmt == "csv":
        yield _csv_line(_EXPORT_CSV_COLUMNS)
        for e in entries:
            yield _csv_line(
                (
                    e.value,
                    e.signal,
                    ",".join(e.labels),
                    e.source,
                    e.incident_id,
                    e.quality,
                    e.id,
                    e.list_name,
                    e.added_by,
                    e.added_at.isoformat(),
                )
            )
    elif fmt == "jsonl":
        for e in entries:
            line = e.to_dict() if drill is None else {**e.to_dict(), "drill": drill}
            yield json.dumps(line, sort_keys=True) + "\n"
    elif fmt == "text":
        for e in entries:
            yield f"{e.signal} {get_signal(e.signal).format(e.value)}\n"
    elif fmt == "vpdq-jsonl":
        yield from _video_lines(entries, drill)
    else:
        raise InvalidArgument(f"unknown format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")


def _video_lines(entries: Iterable[Entry], drill: bool | None) -> Iterator[str]:
    """One ``vpdq-jsonl`` line per video entry (other entries have no place in it)."""
    from hashdb.video.model import parse_video
    from hashdb.video.vpdq import video_jsonl_line

    for e in entries:
        if e.signal != "vpdq":
            continue
        video = parse_video(e.value, name=e.source or None)
        extra: dict[str, Any] = {
            "id": e.id,
            "list_name": e.list_name,
            "labels": list(e.labels),
            "source": e.source,
            "incident_id": e.incident_id,
            "added_by": e.added_by,
            "added_at": e.added_at.isoformat(),
        }
        if drill is not None:
            extra["drill"] = drill
        yield video_jsonl_line(video, **extra)
