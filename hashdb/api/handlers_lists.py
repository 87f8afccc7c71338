"""List and entry endpoints: read lists and entries, add (all-or-nothing) and remove entries,
create lists (admin). Every add and removal is written to the audit log with the key as actor."""

from __future__ import annotations

from typing import cast

from aiohttp import web

from hashdb.access import Forbidden, Scope, can_remove_entry
from hashdb.api.app_keys import CONFIG, HASH_SERVICE, LISTS
from hashdb.api.auth import authorize, flag, include_exercise
from hashdb.api.errors import RequestInvalid
from hashdb.api.handlers_match import visible_entry
from hashdb.api.jsonio import json_response
from hashdb.api.render import render_entry, render_list
from hashdb.api.requests import (
    json_body,
    object_list,
    optional_bool,
    optional_str,
    query_int,
    required_str,
    string_list,
)
from hashdb.records import MAX_ROW_ID, ListKind, NewEntry, Visibility

__all__ = ["add_entries", "create_list", "get_entry", "get_list", "list_entries", "lists"]


async def lists(request: web.Request) -> web.Response:
    """``GET /v1/lists``: the lists this key may see."""
    key = await authorize(request, Scope.QUERY)
    visible = await request.app[LISTS].visible(key, include_exercise=include_exercise(request, key))
    return json_response({"lists": [render_list(hl) for hl in visible.values()]})


async def get_list(request: web.Request) -> web.Response:
    key = await authorize(request, Scope.QUERY)
    hash_list = await request.app[LISTS].get(
        key, request.match_info["name"], include_exercise=include_exercise(request, key)
    )
    return json_response(render_list(hash_list))


async def list_entries(request: web.Request) -> web.Response:
    """``GET /v1/lists/{name}/entries?after=ID&limit=N&include_removed=false``, by entry id."""
    key = await authorize(request, Scope.QUERY)
    drills = include_exercise(request, key)
    directory = request.app[LISTS]
    hash_list = await directory.get(key, request.match_info["name"], include_exercise=drills)
    after = query_int(request, "after", 0, low=0, high=MAX_ROW_ID)
    limit = query_int(request, "limit", 1000, low=1, high=10_000)
    entries = await request.app[HASH_SERVICE].entries(
        hash_list.name, include_removed=flag(request, "include_removed")
    )
    page = sorted((e for e in entries if e.id > after), key=lambda e: e.id)[: limit + 1]
    lists_by_name = {hash_list.name: hash_list}
    body = {
        "entries": [render_entry(e, lists_by_name) for e in page[:limit]],
        "next_after": page[limit - 1].id if len(page) > limit else None,
    }
    return json_response(body)


async def get_entry(request: web.Request) -> web.Response:
    key = await authorize(request, Scope.QUERY)
    entry, lists_by_name = await visible_entry(request, key)
    return json_response(render_entry(entry, lists_by_name))


async def add_entries(request: web.Request) -> web.Response:
    """``POST /v1/lists/{name}/entries`` ``{"entries": [...]}``: all added, or none.

    An entry's ``"drill"`` defaults to the list's kind; given, it must agree with it."""
    key = await authorize(request, Scope.CONTRIBUTE)
    body = await json_body(request)
    items = object_list(body, "entries", request.app[CONFIG].max_batch)
    drills = include_exercise(request, key)
    hash_list = await request.app[LISTS].get(
        key, request.match_info["name"], include_exercise=drills
    )
    new = []
    for i, item in enumerate(items):
        where = f"entries[{i}]."
        new.append(
            NewEntry(
                signal=required_str(item, "signal", where),
                value=required_str(item, "value", where),
                labels=tuple(string_list(item, "labels", where)),
                source=optional_str(item, "source", where) or key.platform,
                incident_id=optional_str(item, "incident_id", where),
                allow_low_quality=optional_bool(item, "allow_low_quality", False, where),
                # an entry that says whether it is a drill hash is held to it: the service
                # refuses a drill hash for a real list and a real one for a drill list (403)
                exercise=optional_bool(item, "drill", bool(hash_list.exercise), where),
            )
        )
    added = await request.app[HASH_SERVICE].add_entries(hash_list.name, new, added_by=key.actor)
    lists_by_name = {hash_list.name: hash_list}
    return json_response({"entries": [render_entry(e, lists_by_name) for e in added]}, status=201)


async def remove_entry(request: web.Request) -> web.Response:
    """``DELETE /v1/entries/{entry_id}?reason=...`` (or a JSON body ``{"reason"}``)."""
    key = await authorize(request, Scope.CONTRIBUTE)
    entry, lists_by_name = await visible_entry(request, key)
    reason = request.query.get("reason")
    if reason is None and request.can_read_body:
        reason = optional_str(await json_body(request), "reason")
    if not reason or not reason.strip():
        raise RequestInvalid("a reason is required to remove an entry")
    if not can_remove_entry(key, entry.added_by):
        raise Forbidden("contribute keys may remove only entries their own platform added")
    removed = await request.app[HASH_SERVICE].remove_entry(
        entry.id, reason=reason.strip(), removed_by=key.actor
    )
    return json_response(render_entry(removed, lists_by_name))


async def create_list(request: web.Request) -> web.Response:
    """``POST /v1/lists`` (admin): a new list with its visibility and thresholds."""
    key = await authorize(request, Scope.ADMIN)
    body = await json_body(request)
    thresholds = body.get("thresholds", {})
    if not isinstance(thresholds, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in thresholds.values()
    ):
        raise RequestInvalid("thresholds must map signal types to integers")
    exercise = optional_bool(body, "exercise", False)
    name = required_str(body, "name")
    hash_list = await request.app[HASH_SERVICE].create_list(
        name,
        description=optional_str(body, "description") or "",
        labels=tuple(string_list(body, "labels")),
        thresholds=thresholds,
        kind=cast(ListKind, optional_str(body, "kind") or "block"),  # the service validates
        exercise=exercise,
        owner=optional_str(body, "owner") or key.platform,
        visibility=cast(Visibility, optional_str(body, "visibility") or "private"),
        shared_with=tuple(string_list(body, "shared_with")),
        created_by=key.actor,
    )
    request.app[LISTS].put(hash_list)
    return json_response(render_list(hash_list), status=201)
