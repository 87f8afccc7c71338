"""The delta feed (``/v1/changes``) and the HMA-compatible lookup (``/m/lookup``).

Delta feed semantics: every add and removal in a list the key may see, in the order the database
recorded them. The cursor is opaque to clients (today it is the change's sequence number as a
decimal string); ``next_cursor`` is the cursor of the last change returned, or the request's
``since`` when nothing is new, so a client that stores ``next_cursor`` after applying a page and
resumes from it never misses or repeats a change. ``has_more`` says another page is ready now.
"""

from __future__ import annotations

from aiohttp import web

from hashdb.access import Scope
from hashdb.api.app_keys import CONFIG, HASH_SERVICE, LISTS
from hashdb.api.auth import authorize, include_exercise
from hashdb.api.errors import RequestInvalid
from hashdb.api.handlers_match import match_queries
from hashdb.api.jsonio import json_response
from hashdb.api.render import render_change
from hashdb.api.requests import decimal, query_int, required_str

__all__ = ["changes", "hma_lookup", "parse_cursor"]


def parse_cursor(raw: str | None) -> int:
    """``?since=``: absent or empty is the start of the feed; 400 for anything not a cursor."""
    if raw is None or raw == "":
        return 0
    cursor = decimal(raw)
    if cursor is None:
        raise RequestInvalid(f"since must be a cursor returned by this API, got {raw[:40]!r}")
    return cursor


async def changes(request: web.Request) -> web.Response:
    """``GET /v1/changes?since=CURSOR&limit=N``."""
    key = await authorize(request, Scope.QUERY)
    since = parse_cursor(request.query.get("since"))
    config = request.app[CONFIG]
    limit = query_int(request, "limit", 1000, low=1, high=config.changes_max_limit)
    drills = include_exercise(request, key)
    lists = await request.app[LISTS].visible(key, include_exercise=drills)
    page = (
        await request.app[HASH_SERVICE].changes(since=since, limit=limit, lists=list(lists))
        if lists
        else []
    )
    body = {
        "changes": [render_change(c, lists) for c in page],
        "next_cursor": str(page[-1].seq if page else since),
        "has_more": len(page) == limit,
    }
    return json_response(body)


async def hma_lookup(request: web.Request) -> web.Response:
    """``GET /m/lookup?signal_type=pdq&signal=HEX``, answered the way Meta's HMA 2.0 answers.

    ``{"LIST_NAME": [{"bank_content_id": ID, "distance": "D"}]}``: HMA's banks are our lists,
    content ids are entry ids, distances are strings. Only block lists are reported (HMA has no
    allow lists); a key still needs the ``query`` scope. A match in an exercise list (served only
    with ``include_exercise=true`` to an exercise key) also carries ``"drill": true``, so a drill
    hit can never pass for a real one; real matches keep HMA's exact two-field shape.
    """
    key = await authorize(request, Scope.QUERY, queries=1)
    query = dict(request.query)
    signal, value = required_str(query, "signal_type"), required_str(query, "signal")
    (result,) = await match_queries(request, key, [(signal, value)])
    body: dict[str, list[dict[str, object]]] = {}
    for match in result["matches"]:
        item: dict[str, object] = {
            "bank_content_id": match["entry_id"],
            "distance": str(match["distance"]),
        }
        if match["drill"]:
            item["drill"] = True
        body.setdefault(match["list_name"], []).append(item)
    return json_response(body)
