"""``crisisbot hash FILE...``: print every hash of each file (table, ``--json`` or vPDQ).

A video gives one ``vpdq`` hash (a PDQ per sampled frame, ``hashdb.video``): the table summarises
it, ``--json`` carries it whole, ``--format vpdq`` prints its per-frame lines as Meta's vPDQ
tools write them (``frame_number,pdq_hex,quality,timestamp``; with several files each video's
lines follow a ``# FILE`` comment). A file that cannot be hashed does not stop the batch: its
error is reported at the end on stderr and the exit status is 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from crisisbot.cli.common import json_option, state
from crisisbot.cli.hashdb_cmd import emit_batch, hash_each
from crisisbot.composition import hash_limits
from hashdb.signals import get_signal
from hashdb.video import parse_video, write_vpdq


@click.command(name="hash")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "vpdq"]),
    default="table",
    show_default=True,
    help="vpdq: a video's per-frame vPDQ lines.",
)
@json_option
def command(files: tuple[str, ...], fmt: str, as_json: bool) -> None:
    """Hash FILES: MD5, SHA-256, and PDQ (with quality) + pHash + local features (orb) for
    images; one vPDQ hash (a PDQ per sampled frame, with the file's MD5 and SHA-256) for
    videos."""
    errors: list[str] = []
    results = [
        {"file": path, "hashes": [h.to_dict() for h in hashes]}
        for path, hashes in hash_each(files, hash_limits(state().settings), errors)
    ]
    lines = _vpdq(results, errors, len(files) > 1) if fmt == "vpdq" else _table(results)
    emit_batch(as_json, {"results": results}, lines, errors)


def _table(results: list[dict[str, Any]]) -> Iterator[str]:
    for result in results:
        for h in result["hashes"]:
            extra = ""
            if "quality" in h:
                extra = f"  quality={h['quality']}" + ("  LOW QUALITY" if h["low_quality"] else "")
            shown = get_signal(h["signal"]).summary(h["value"])  # --json has the whole value
            yield f"{result['file']}\t{h['signal']}\t{shown}{extra}"


def _vpdq(results: list[dict[str, Any]], errors: list[str], headers: bool) -> Iterator[str]:
    """Each video's vPDQ lines; a file that is not a video is an error."""
    for result in results:
        videos = [h["value"] for h in result["hashes"] if h["signal"] == "vpdq"]
        if not videos:
            errors.append(f"{result['file']}: not a video (--format vpdq prints video hashes)")
            continue
        if headers:
            yield f"# {result['file']}"
        for line in write_vpdq(parse_video(videos[0])):
            yield line.rstrip("\n")
