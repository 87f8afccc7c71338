"""``crisisbot hash FILE...``: print every hash of each file (table or ``--json``).

A file that cannot be hashed does not stop the batch: its error is reported at the end on stderr
and the exit status is 1.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from crisisbot.cli.common import json_option, print_json, state
from crisisbot.cli.hashdb_cmd import hash_limits, progress, report_batch_errors
from hashdb import HashDBError, hash_file


@click.command(name="hash")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@json_option
def command(files: tuple[str, ...], as_json: bool) -> None:
    """Hash FILES: MD5, SHA-256, and PDQ (with quality) + pHash for images, per-frame PDQ for
    videos."""
    limits = hash_limits(state().settings)
    results: list[dict[str, Any]] = []
    errors: list[str] = []
    for path in progress(files, desc="hashing", unit="file"):
        try:
            hashes = hash_file(path, limits=limits)
        except HashDBError as exc:
            errors.append(str(exc))
            continue
        results.append({"file": path, "hashes": [h.to_dict() for h in hashes]})
    if as_json:
        print_json({"results": results, "errors": errors})
    else:
        for result in results:
            for h in result["hashes"]:
                extra = ""
                if "quality" in h:
                    extra = f"  quality={h['quality']}" + (
                        "  LOW QUALITY" if h["low_quality"] else ""
                    )
                if "frame_seconds" in h:
                    extra += f"  t={h['frame_seconds']}s"
                click.echo(f"{result['file']}\t{h['signal']}\t{h['value']}{extra}")
    report_batch_errors(errors)
    sys.stdout.flush()
