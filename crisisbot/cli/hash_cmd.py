"""``crisisbot hash FILE...``: print every hash of each file (table or ``--json``).

A file that cannot be hashed does not stop the batch: its error is reported at the end on stderr
and the exit status is 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from crisisbot.cli.common import json_option, state
from crisisbot.cli.hashdb_cmd import emit_batch, hash_each
from crisisbot.composition import hash_limits
from hashdb.signals import get_signal


@click.command(name="hash")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@json_option
def command(files: tuple[str, ...], as_json: bool) -> None:
    """Hash FILES: MD5, SHA-256, and PDQ (with quality) + pHash + local features (orb) for
    images, per-frame PDQ for videos."""
    errors: list[str] = []
    results = [
        {"file": path, "hashes": [h.to_dict() for h in hashes]}
        for path, hashes in hash_each(files, hash_limits(state().settings), errors)
    ]
    emit_batch(as_json, {"results": results}, _table(results), errors)


def _table(results: list[dict[str, Any]]) -> Iterator[str]:
    for result in results:
        for h in result["hashes"]:
            extra = ""
            if "quality" in h:
                extra = f"  quality={h['quality']}" + ("  LOW QUALITY" if h["low_quality"] else "")
            if "frame_seconds" in h:
                extra += f"  t={h['frame_seconds']}s"
            shown = get_signal(h["signal"]).summary(h["value"])  # --json has the whole value
            yield f"{result['file']}\t{h['signal']}\t{shown}{extra}"
