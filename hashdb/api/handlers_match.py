"""Matching endpoints: one hash, a batch, an uploaded file, and feedback on a match.

Each handler parses, calls the hash service, renders. Matching is limited to the lists the key may
see; drill lists only when asked for (``?include_exercise=true``) by an exercise key.
"""

from __future__ import annotations

from typing import Any, cast

from aiohttp import MultipartReader, web
from aiohttp.http_exceptions import BadHttpMessage

from hashdb.access import ApiKey, Scope
from hashdb.api.app_keys import ACCESS, COALESCER, CONFIG, HASH_SERVICE, LISTS, METRICS
from hashdb.api.auth import authorize, include_exercise
from hashdb.api.errors import PayloadTooLarge, RequestInvalid
from hashdb.api.jsonio import json_response
from hashdb.api.render import render_entry, render_match_result
from hashdb.api.requests import decimal, json_body, object_list, optional_str, required_str
from hashdb.errors import EntryNotFound, InvalidHash
from hashdb.records import Decision, Verdict
from hashdb.signals import get_signal

__all__ = [
    "entry_id_of",
    "feedback",
    "match_batch",
    "match_one",
    "match_queries",
    "match_upload",
    "visible_entry",
]

_CHUNK = 256 * 1024


async def match_queries(
    request: web.Request, key: ApiKey, queries: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Match every query (all validated before any is searched) in the key's visible lists."""
    drills = include_exercise(request, key)
    lists = await request.app[LISTS].visible(key, include_exercise=drills)
    if len(queries) == 1 and request.app[CONFIG].coalesce_lookups:
        ((signal, value),) = queries
        get_signal(signal).parse(value)  # a bad hash fails its own request, never a batch
        found = [
            await request.app[COALESCER].match(
                signal, value, lists=list(lists), include_exercise=drills
            )
        ]
    else:
        found = await request.app[HASH_SERVICE].match_many(
            queries, lists=list(lists), include_exercise=drills
        )
    results = [render_match_result(result, lists) for result in found]
    request.app[METRICS].observe_matches(
        len(results),
        sum(len(r["matches"]) for r in results),
        sum(len(r["allow_matches"]) for r in results),
    )
    return results


async def match_one(request: web.Request) -> web.Response:
    """``GET /v1/match?signal=pdq&value=HEX``: one hash."""
    key = await authorize(request, Scope.QUERY, queries=1)
    query = dict(request.query)
    signal, value = required_str(query, "signal"), required_str(query, "value")
    (result,) = await match_queries(request, key, [(signal, value)])
    return json_response(result)


async def match_batch(request: web.Request) -> web.Response:
    """``POST /v1/match`` ``{"queries": [{"signal", "value"}, ...]}`` (up to ``max_batch``)."""
    key = await authorize(request, Scope.QUERY)  # before reading the body
    config = request.app[CONFIG]
    items = object_list(await json_body(request), "queries", config.max_batch)
    # a batch of N costs 1 + N / batch_cost_divisor tokens in all
    request.app[ACCESS].admit(key, cost=len(items) / config.batch_cost_divisor, queries=len(items))
    queries = [
        (required_str(q, "signal", f"queries[{i}]."), required_str(q, "value", f"queries[{i}]."))
        for i, q in enumerate(items)
    ]
    try:  # the core validates every hash before it searches any
        results = await match_queries(request, key, queries)
    except InvalidHash:
        _name_bad_query(queries)
        raise
    return json_response({"results": results})


def _name_bad_query(queries: list[tuple[str, str]]) -> None:
    """Raise the first malformed query's error with its position (the core only says why);
    parsed again only on this error path, so a good batch is parsed once."""
    for i, (signal, value) in enumerate(queries):
        try:
            get_signal(signal).parse(value)
        except InvalidHash as exc:
            raise InvalidHash(f"queries[{i}]: {exc}") from None


async def _read_upload(request: web.Request, limit: int) -> tuple[str, bytes]:
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise PayloadTooLarge(f"the upload is larger than the limit of {limit} bytes")
    if not request.content_type.startswith("multipart/"):
        raise RequestInvalid("send the file as multipart/form-data in a field named 'file'")
    try:
        return await _file_part(await request.multipart(), limit)
    except (ValueError, RuntimeError, BadHttpMessage) as exc:
        # aiohttp's multipart reader refuses a malformed body this way: no or a wrong boundary,
        # an unknown transfer encoding, too many part headers
        raise RequestInvalid(f"malformed multipart/form-data body: {exc}") from None


async def _file_part(reader: MultipartReader, limit: int) -> tuple[str, bytes]:
    """The name and bytes of the part named ``file``, read in chunks up to ``limit`` bytes."""
    while (part := await reader.next()) is not None:
        if getattr(part, "name", None) != "file":
            continue
        name = getattr(part, "filename", None) or "upload"
        data = bytearray()
        while chunk := await part.read_chunk(_CHUNK):  # type: ignore[union-attr]
            data += chunk
            if len(data) > limit:
                raise PayloadTooLarge(f"the upload is larger than the limit of {limit} bytes")
        return name, bytes(data)
    raise RequestInvalid("no multipart field named 'file'")


async def match_upload(request: web.Request) -> web.Response:
    """``POST /v1/match/upload`` (multipart ``file``): hash with every signal type, then match.

    The bytes are read in chunks up to ``max_upload_bytes`` (413 beyond), hashed in memory and
    dropped; nothing of the file is stored.
    """
    key = await authorize(request, Scope.QUERY, queries=1)
    name, data = await _read_upload(request, request.app[CONFIG].max_upload_bytes)
    drills = include_exercise(request, key)
    lists = await request.app[LISTS].visible(key, include_exercise=drills)
    found = await request.app[HASH_SERVICE].match_bytes(
        data, name=name, lists=list(lists), include_exercise=drills
    )
    size = len(data)
    del data
    rendered = [render_match_result(result, lists) for result in found]
    request.app[METRICS].observe_matches(
        len(rendered),
        sum(len(r["matches"]) for r in rendered),
        sum(len(r["allow_matches"]) for r in rendered),
    )
    decision = Decision.of(found).to_dict()  # one answer across the signal types
    return json_response(
        {"file": {"name": name, "bytes": size}, "decision": decision, "results": rendered}
    )


async def feedback(request: web.Request) -> web.Response:
    """``POST /v1/entries/{entry_id}/feedback`` ``{"verdict", "note"}``."""
    key = await authorize(request, Scope.QUERY)
    body = await json_body(request)
    verdict = required_str(body, "verdict")
    if verdict not in {"confirmed", "false_positive"}:
        raise RequestInvalid(f"verdict must be 'confirmed' or 'false_positive', got {verdict!r}")
    note = optional_str(body, "note") or ""
    entry, lists = await visible_entry(request, key)
    svc = request.app[HASH_SERVICE]
    await svc.record_feedback(entry.id, verdict=cast(Verdict, verdict), note=note, by=key.actor)
    updated = await svc.get_entry(entry.id)
    return json_response(render_entry(updated, lists), status=201)


def entry_id_of(request: web.Request) -> int:
    """The path's entry id; 404 for anything that cannot be one (see :func:`decimal`)."""
    raw = request.match_info["entry_id"]
    entry_id = decimal(raw, low=1)
    if entry_id is None:
        raise EntryNotFound(f"no entry with id {raw[:40]!r}")
    return entry_id


async def visible_entry(request: web.Request, key: ApiKey) -> tuple[Any, dict[str, Any]]:
    """The entry named in the path, if its list is visible to the key (404 otherwise)."""
    entry_id = entry_id_of(request)
    lists = await request.app[LISTS].visible(key, include_exercise=include_exercise(request, key))
    entry = await request.app[HASH_SERVICE].get_entry(entry_id)
    if entry.list_name not in lists:
        raise EntryNotFound(f"no entry with id {entry_id}")
    return entry, lists
