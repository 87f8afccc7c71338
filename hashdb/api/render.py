"""JSON shapes of the API's answers, with the drill mark on everything touching an exercise list.

Kept apart from the handlers so the OpenAPI schemas (:mod:`hashdb.api.openapi`) and the rendered
responses can be checked against each other in one test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["render_change", "render_entry", "render_list", "render_match_result"]


def _drill(lists: Mapping[str, Any], name: str) -> bool:
    hash_list = lists.get(name)
    return bool(getattr(hash_list, "exercise", False))


def render_list(hash_list: Any) -> dict[str, Any]:
    return {**hash_list.to_dict(), "drill": bool(hash_list.exercise)}


def render_entry(entry: Any, lists: Mapping[str, Any]) -> dict[str, Any]:
    return {**entry.to_dict(), "drill": _drill(lists, entry.list_name)}


def _render_match(match: Any, lists: Mapping[str, Any]) -> dict[str, Any]:
    out = {
        "entry_id": match.entry.id,
        "list_name": match.list_name,
        "distance": match.distance,
        "labels": list(match.labels),
        "signal": match.signal,
        "measure": match.measure,
        "value": match.entry.value,
        "likely_bad_hash": match.likely_bad_hash,
        "matched_variant": match.matched_variant,
        "drill": _drill(lists, match.list_name),
    }
    if match.detail is not None:  # signal-specific (``Match.detail``); absent for most types
        out["detail"] = dict(match.detail)
    return out


def render_match_result(result: Any, lists: Mapping[str, Any]) -> dict[str, Any]:
    matches = [_render_match(m, lists) for m in result.matches]
    allow = [_render_match(m, lists) for m in result.allow_matches]
    return {
        "query": result.query.to_dict(),
        "matched": bool(matches),
        "matches": matches,
        "allow_matches": allow,
        "drill": any(m["drill"] for m in matches + allow),
    }


def render_change(change: Any, lists: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "cursor": str(change.seq),
        "seq": change.seq,
        "kind": change.kind,
        "list_name": change.list_name,
        "at": change.at.isoformat(),
        "entry": render_entry(change.entry, lists),
        "drill": _drill(lists, change.list_name),
    }
