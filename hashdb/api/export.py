"""Streaming a whole list in every import format (``GET /v1/lists/{name}/export?format=...``).

The lines come from :func:`hashdb.formats.iter_export` (the same code as ``crisisbot hashdb
export``), so a file exported here imports anywhere the CLI's does. They are sent in chunks of
about 64 KiB as they are produced. An exercise list is exported with ``X-Crisisbot-Drill: true``
and a file name starting ``DRILL-``, because the plain-text format has nowhere to say so; JSON
lines carry ``"drill"`` as every entry the API sends does.
"""

from __future__ import annotations

from aiohttp import web

from hashdb.access import Scope
from hashdb.api.app_keys import HASH_SERVICE, LISTS
from hashdb.api.auth import authorize, include_exercise
from hashdb.errors import InvalidArgument
from hashdb.formats import EXPORT_FORMATS, iter_export

__all__ = ["export_list"]

_CONTENT_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
    "text": "text/plain",
    "vpdq-jsonl": "application/x-ndjson",
}
_SUFFIX = {"csv": "csv", "jsonl": "jsonl", "text": "txt", "vpdq-jsonl": "vpdq.jsonl"}
_CHUNK = 64 * 1024


async def export_list(request: web.Request) -> web.StreamResponse:
    key = await authorize(request, Scope.QUERY)
    hash_list = await request.app[LISTS].get(
        key, request.match_info["name"], include_exercise=include_exercise(request, key)
    )
    fmt = request.query.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise InvalidArgument(f"unknown format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    entries = await request.app[HASH_SERVICE].entries(hash_list.name)
    prefix = "DRILL-" if hash_list.exercise else ""
    response = web.StreamResponse(
        headers={
            "Content-Type": f"{_CONTENT_TYPES[fmt]}; charset=utf-8",
            "Content-Disposition": (
                f'attachment; filename="{prefix}{hash_list.name}.{_SUFFIX[fmt]}"'
            ),
            "X-Crisisbot-Drill": "true" if hash_list.exercise else "false",
        }
    )
    await response.prepare(request)
    buffer: list[str] = []
    size = 0
    for line in iter_export(entries, fmt, drill=bool(hash_list.exercise)):
        buffer.append(line)
        size += len(line)
        if size >= _CHUNK:
            await response.write("".join(buffer).encode("utf-8"))
            buffer, size = [], 0
    if buffer:
        await response.write("".join(buffer).encode("utf-8"))
    await response.write_eof()
    return response
