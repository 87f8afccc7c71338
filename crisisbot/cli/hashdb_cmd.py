"""``crisisbot hashdb``: manage hash lists from the command line.

Subcommands: ``lists``, ``create``, ``add``, ``check``, ``remove``, ``import``, ``export``. Each
receives the hash service from the composition root (``crisisbot.composition``: the configured
database, limits and bad-hash settings, writes audited), calls it, and renders the result (a
table or ``--json``). Bulk work shows a tqdm progress bar on stderr when it is a terminal; errors
on single files or lines do not stop a batch, they are listed at the end and the exit status is 1.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click
from tqdm import tqdm

from crisisbot.cli.common import json_option, print_json, run_async, state
from crisisbot.composition import hash_limits, open_hash_service
from hashdb import (
    ContentHash,
    HashDBError,
    HashLimits,
    HashService,
    InvalidArgument,
    MatchResult,
    NewEntry,
    hash_file,
)
from hashdb.errors import ImportFormatError
from hashdb.formats import (
    EXPORT_FORMATS,
    FORMATS,
    detect_format,
    iter_export,
    iter_parsed,
    text_lines,
)
from hashdb.list_rules import skip_low_quality
from hashdb.records import Decision
from hashdb.signals import get_signal

__all__ = [
    "command",
    "emit_batch",
    "hash_each",
    "progress",
    "report_batch_errors",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
_IMPORT_CHUNK = 5000


# -- shared with `crisisbot hash` -----------------------------------------------------------
def progress(items: Iterable[T], **kwargs: Any) -> Iterator[T]:
    """tqdm on stderr when it is a terminal; plain iteration otherwise."""
    return iter(tqdm(items, file=sys.stderr, disable=not sys.stderr.isatty(), **kwargs))


def report_batch_errors(errors: Sequence[str]) -> None:
    """Print a batch's errors on stderr and exit 1 if there were any."""
    if not errors:
        return
    for message in errors:
        click.echo(f"Error: {message}", err=True)
    raise click.ClickException(f"{len(errors)} error(s).")


def hash_each(
    paths: Sequence[str], limits: HashLimits, errors: list[str]
) -> Iterator[tuple[str, list[ContentHash]]]:
    """``(path, hashes)`` per file that hashes, with a progress bar; failures go to ``errors``."""
    for path in progress(paths, desc="hashing", unit="file"):
        try:
            yield path, hash_file(path, limits=limits)
        except HashDBError as exc:
            errors.append(str(exc))


def emit_batch(
    as_json: bool, payload: dict[str, Any], lines: Iterable[str], errors: Sequence[str]
) -> None:
    """Print a batch's result (``payload`` + errors as JSON, or ``lines``), then its errors."""
    if as_json:
        print_json({**payload, "errors": list(errors)})
    else:
        for line in lines:
            click.echo(line)
    report_batch_errors(errors)


def _actor(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _parse_hash_option(text: str) -> tuple[str, str]:
    signal, sep, value = text.partition(":")
    if not sep:
        raise click.BadParameter(f"expected SIGNAL:HASH (e.g. pdq:abc...), got {text!r}")
    return signal, value


def _run(coro_factory: Any) -> Any:
    """Run ``coro_factory(service)`` on the configured hash service."""
    settings = state().settings

    async def main() -> Any:
        async with open_hash_service(settings) as service:
            return await coro_factory(service)

    return run_async(main())


# -- the group -------------------------------------------------------------------------------
@click.group(name="hashdb")
def command() -> None:
    """Manage hash lists: lists, create, add, check, remove, import, export."""


def _split_labels(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def label_option(help_text: str) -> Callable[[F], F]:
    """``--label a --label b`` or ``--labels a,b``: both spellings people reach for."""
    return click.option(
        "--label", "--labels", "labels", multiple=True, callback=_split_labels, help=help_text
    )


@command.command(name="lists")
@click.option("--no-exercise", is_flag=True, help="Hide drill (exercise) lists.")
@json_option
def lists_cmd(no_exercise: bool, as_json: bool) -> None:
    """Show every hash list with its entry count and thresholds."""
    found = _run(lambda svc: svc.lists(include_exercise=not no_exercise))
    if as_json:
        print_json([hl.to_dict() for hl in found])
        return
    if not found:
        click.echo("No hash lists.")
    for hl in found:
        flags = [hl.kind] + (["EXERCISE"] if hl.exercise else []) + [hl.visibility]
        thresholds = ",".join(f"{k}={v}" for k, v in sorted(hl.thresholds.items())) or "defaults"
        click.echo(
            f"{hl.name}\t{hl.entry_count} entries\t{' '.join(flags)}\tthresholds: {thresholds}"
            f"\t{hl.description}"
        )


@command.command(name="create")
@click.argument("name")
@click.option("--description", default="", help="What the list holds.")
@label_option("Label of the list (repeatable, or comma-separated).")
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="SIGNAL=N",
    help="Match threshold for a signal type, e.g. pdq=20 (repeatable).",
)
@click.option("--kind", type=click.Choice(["block", "allow"]), default="block", show_default=True)
@click.option("--exercise", is_flag=True, help="A drill list: only drill hashes, never real ones.")
@click.option("--owner", default=None, help="Owning organisation.")
@click.option(
    "--visibility",
    type=click.Choice(["private", "shared", "public"]),
    default="public",
    show_default=True,
)
@click.option("--share-with", "shared_with", multiple=True, help="Organisation (repeatable).")
@click.option("--by", default=None, help="Who is acting (default cli:$USER).")
@json_option
def create_cmd(
    name: str,
    description: str,
    labels: tuple[str, ...],
    thresholds: tuple[str, ...],
    kind: str,
    exercise: bool,
    owner: str | None,
    visibility: str,
    shared_with: tuple[str, ...],
    by: str | None,
    as_json: bool,
) -> None:
    """Create a hash list."""
    parsed: dict[str, int] = {}
    for item in thresholds:
        signal, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise click.BadParameter(f"expected SIGNAL=N, got {item!r}", param_hint="--threshold")
        parsed[signal.strip()] = int(value)
    created = _run(
        lambda svc: svc.create_list(
            name,
            description=description,
            labels=labels,
            thresholds=parsed,
            kind=kind,
            exercise=exercise,
            owner=owner,
            visibility=visibility,
            shared_with=shared_with,
            created_by=_actor(by),
        ),
    )
    if as_json:
        print_json(created.to_dict())
    else:
        drill = " exercise (drill)" if created.exercise else ""
        click.echo(f"Created{drill} {created.kind} list {created.name!r}.")


@command.command(name="add")
@click.argument("list_name")
@click.argument("files", nargs=-1, type=click.Path())
@click.option(
    "--hash", "hashes", multiple=True, metavar="SIGNAL:HASH", help="Add a hash (repeatable)."
)
@label_option("Label for every entry (repeatable, or comma-separated).")
@click.option("--source", default="", help="Where the content was found.")
@click.option("--incident", "incident_id", default=None, help="Incident id.")
@click.option("--allow-low-quality", is_flag=True, help="Add low-quality PDQ hashes deliberately.")
@click.option("--exercise", is_flag=True, help="These are drill hashes (exercise lists only).")
@click.option("--by", default=None, help="Who is acting (default cli:$USER).")
@json_option
def add_cmd(
    list_name: str,
    files: tuple[str, ...],
    hashes: tuple[str, ...],
    labels: tuple[str, ...],
    source: str,
    incident_id: str | None,
    allow_low_quality: bool,
    exercise: bool,
    by: str | None,
    as_json: bool,
) -> None:
    """Add FILES (all their hashes) and/or --hash values to LIST_NAME.

    A file's low-quality PDQ hash (a dark or flat picture) is skipped, and said so, unless
    --allow-low-quality; the file's other hashes are added. A --hash value of low quality is an
    error.
    """
    if not files and not hashes:
        raise click.UsageError("give FILES and/or --hash SIGNAL:HASH")
    limits = hash_limits(state().settings)

    def new(found: ContentHash, origin: str) -> NewEntry:
        return NewEntry(
            signal=found.signal,
            value=found.value,
            labels=labels,
            source=source or origin,
            incident_id=incident_id,
            quality=found.quality,
            allow_low_quality=allow_low_quality,
            exercise=exercise,
            variants=found.variants,  # crops of the original: cropped copies match too
        )

    async def main(
        svc: HashService,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
        added: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        errors: list[str] = []
        groups: list[tuple[str, list[NewEntry]]] = []
        for text in hashes:
            signal, value = _parse_hash_option(text)
            groups.append((text, [new(ContentHash(signal, value), "")]))
        for path in progress(files, desc="hashing", unit="file"):
            try:
                found = hash_file(path, limits=limits, variants=True)
            except HashDBError as exc:
                errors.append(str(exc))
                continue
            # a dark frame's low-quality PDQ is left out, not the file's other hashes
            items, refused = skip_low_quality([new(h, Path(path).name) for h in found])
            skipped.extend(_skipped(path, item, exc) for item, exc in refused)
            groups.append((path, items))
        for origin, items in groups:
            try:
                entries = await svc.add_entries(list_name, items, added_by=_actor(by))
            except HashDBError as exc:
                errors.append(f"{origin}: {exc}")
                continue
            added.extend(e.to_dict() for e in entries)
        return added, skipped, errors

    added, skipped, errors = _run(main)
    lines = [
        *(f"#{e['id']}\t{e['list_name']}\t{e['signal']}\t{_summary(e)}" for e in added),
        *(f"skipped\t{s['input']}\t{s['signal']}\t{s['reason']}" for s in skipped),
    ]
    emit_batch(as_json, {"added": added, "skipped": skipped}, lines, errors)


def _summary(found: dict[str, Any]) -> str:
    """A value as a table shows it (``SignalType.summary``: a local-feature value is 20 KB)."""
    return get_signal(found["signal"]).summary(found["value"])


def _skipped(origin: str, item: NewEntry, reason: HashDBError) -> dict[str, Any]:
    """One hash of a file that was not added, and why (``hashdb add`` output)."""
    return {
        "input": origin,
        "signal": item.signal,
        "value": item.value,
        "quality": item.quality,
        "reason": str(reason),
    }


def _match_lines(result: MatchResult, origin: str) -> Iterator[str]:
    """One line per match: the signal that matched, its distance (or inliers, for local
    features) and what the signal type says about how it matched (a transform)."""
    query = result.query
    shown = f"{origin}\t{query.signal}\t{get_signal(query.signal).summary(query.value)}"
    if not result.matches and not result.allow_matches:
        yield f"{shown}\tno match"
    for kind, matches in (("MATCH", result.matches), ("ALLOW", result.allow_matches)):
        for m in matches:
            bad = "\tLIKELY BAD HASH" if m.likely_bad_hash else ""
            how = f" ({m.describe()})" if m.describe() else ""
            yield (
                f"{shown}\t{kind} list={m.list_name} entry=#{m.entry.id} "
                f"{m.measure}={m.distance}{how} labels={','.join(m.labels)}{bad}"
            )


@command.command(name="check")
@click.argument("files", nargs=-1, type=click.Path())
@click.option(
    "--hash", "hashes", multiple=True, metavar="SIGNAL:HASH", help="Check a hash (repeatable)."
)
@click.option("--list", "lists", multiple=True, help="Only these lists (repeatable).")
@click.option("--include-exercise", is_flag=True, help="Search drill lists too.")
@json_option
def check_cmd(
    files: tuple[str, ...],
    hashes: tuple[str, ...],
    lists: tuple[str, ...],
    include_exercise: bool,
    as_json: bool,
) -> None:
    """Match FILES and/or --hash values against the lists (PDQ with rotations and mirrors)."""
    if not files and not hashes:
        raise click.UsageError("give FILES and/or --hash SIGNAL:HASH")
    only = list(lists) or None
    queries = [_parse_hash_option(text) for text in hashes]

    async def main(svc: HashService) -> tuple[list[tuple[str, MatchResult]], list[str]]:
        out: list[tuple[str, MatchResult]] = []
        errors: list[str] = []
        if queries:
            results = await svc.match_many(queries, lists=only, include_exercise=include_exercise)
            out.extend(zip(hashes, results, strict=True))
        for path in progress(files, desc="checking", unit="file"):
            try:
                results = await svc.match_file(path, lists=only, include_exercise=include_exercise)
            except HashDBError as exc:
                errors.append(str(exc))
                continue
            out.extend((path, r) for r in results)
        return out, errors

    results, errors = _run(main)
    payload = {
        "results": [{"input": origin, **r.to_dict()} for origin, r in results],
        # one answer per input across its signal types (``hashdb.Decision``)
        "decisions": [
            {"input": origin, **Decision.of(r for o, r in results if o == origin).to_dict()}
            for origin in dict.fromkeys(origin for origin, _ in results)
        ],
    }
    lines = (line for origin, result in results for line in _match_lines(result, origin))
    emit_batch(as_json, payload, lines, errors)


@command.command(name="remove")
@click.argument("entry_ids", nargs=-1, required=True, type=int)
@click.option("--reason", required=True, help="Why the entries are removed (kept in the log).")
@click.option("--by", default=None, help="Who is acting (default cli:$USER).")
@json_option
def remove_cmd(entry_ids: tuple[int, ...], reason: str, by: str | None, as_json: bool) -> None:
    """Remove entries (soft delete with a reason)."""

    async def main(svc: HashService) -> tuple[list[dict[str, Any]], list[str]]:
        removed, errors = [], []
        for entry_id in entry_ids:
            try:
                entry = await svc.remove_entry(entry_id, reason=reason, removed_by=_actor(by))
            except HashDBError as exc:
                errors.append(str(exc))
                continue
            removed.append(entry.to_dict())
        return removed, errors

    removed, errors = _run(main)
    lines = (f"Removed #{e['id']} from {e['list_name']}." for e in removed)
    emit_batch(as_json, {"removed": removed}, lines, errors)


@command.command(name="import")
@click.argument("list_name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default=None, help="Default: by suffix."
)
@click.option(
    "--default-signal", default="pdq", show_default=True, help="For CSVs without signal_type."
)
@click.option(
    "--allow-low-quality", is_flag=True, help="Import low-quality PDQ hashes deliberately."
)
@click.option("--exercise", is_flag=True, help="These are drill hashes (exercise lists only).")
@click.option("--by", default=None, help="Who is acting (default cli:$USER).")
@json_option
def import_cmd(
    list_name: str,
    file: str,
    fmt: str | None,
    default_signal: str,
    allow_low_quality: bool,
    exercise: bool,
    by: str | None,
    as_json: bool,
) -> None:
    """Import hashes from FILE (CSV, JSON lines or '<signal> <hash>' text) into LIST_NAME.

    Bad lines are reported at the end with their line numbers; the good ones are imported.
    """
    try:
        fmt = detect_format(file, fmt)
    except InvalidArgument as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None

    errors: list[str] = []
    good: list[tuple[int, NewEntry]] = []
    with open(file, "rb") as handle:
        text = text_lines(handle, source=file)
        for line, item in iter_parsed(text, fmt, source=file, default_signal=default_signal):
            if isinstance(item, ImportFormatError):
                errors.append(str(item))
            else:
                good.append(
                    (
                        line,
                        replace(
                            item,
                            allow_low_quality=allow_low_quality,
                            exercise=exercise or item.exercise,  # a drill line stays a drill line
                        ),
                    )
                )

    async def main(svc: HashService) -> tuple[int, int]:
        new = present = 0
        chunks = range(0, len(good), _IMPORT_CHUNK)
        for start in progress(chunks, desc="importing", unit="chunk"):
            chunk = good[start : start + _IMPORT_CHUNK]
            checked = await svc.validate_entries(list_name, [item for _, item in chunk])
            ok = []
            for (line, _), result in zip(chunk, checked, strict=True):
                if isinstance(result, HashDBError):
                    errors.append(f"{file}:{line}: {result}")
                else:
                    ok.append(result)
            added = await svc.add_entries(list_name, ok, added_by=_actor(by))
            new += added.new_count
            present += added.present_count
        return new, present

    new, present = _run(main)
    lines = [
        f"Imported {new + present} entries into {list_name!r}: {new} new, "
        f"{present} already in the list."
    ]
    payload = {"list": list_name, "imported": new + present, "new": new, "already_present": present}
    emit_batch(as_json, payload, lines, errors)


@command.command(name="export")
@click.argument("list_name")
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default=None, help="Default: stdout."
)
@click.option("--include-removed", is_flag=True, help="Also export removed entries.")
def export_cmd(list_name: str, fmt: str, output: str | None, include_removed: bool) -> None:
    """Export LIST_NAME as CSV, JSON lines (--format jsonl), plain text, or its videos as vPDQ
    JSON lines (--format vpdq-jsonl)."""
    entries = _run(lambda svc: svc.entries(list_name, include_removed=include_removed))
    lines = iter_export(entries, fmt)
    if output is None:
        for line in lines:
            click.echo(line, nl=False)
        return
    with open(output, "w", encoding="utf-8", newline="") as handle:
        handle.writelines(lines)
    click.echo(f"Exported {len(entries)} entries to {output}.", err=True)
