"""The OpenAPI 3.1 document of the lookup API, served at ``/v1/openapi.json``.

Written by hand next to the routes (``hashdb.api.app.ROUTES``); tests check that every route is
described, that the document is valid (openapi-spec-validator) and that real responses conform to
the schemas here.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from hashdb.api.errors import STATUS_BY_ERROR
from hashdb.signals import SIGNALS

__all__ = ["openapi_document"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in statuses}


_AUTH_ERRORS = (401, 403, 429)
_STR = {"type": "string"}
_STR_LIST = {"type": "array", "items": _STR}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_NULL_STR = {"type": ["string", "null"]}
_NULL_INT = {"type": ["integer", "null"]}
_DT = {"type": "string", "format": "date-time"}
_NULL_DT = {"type": ["string", "null"], "format": "date-time"}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": list(props) if required is None else required,
    }


#: what a list's creator chooses (shared by the list as read and the list to create)
_LIST_FIELDS: dict[str, Any] = {
    "name": _STR,
    "description": _STR,
    "labels": _STR_LIST,
    "thresholds": {"type": "object", "additionalProperties": _INT},
    "kind": {"enum": ["block", "allow"]},
    "exercise": _BOOL,
    "visibility": {"enum": ["private", "shared", "public"]},
    "shared_with": _STR_LIST,
}


def _codes_by_status() -> dict[int, list[str]]:
    """Every error code the server sends, by status, read from the one table that maps them,
    so the document cannot name fewer codes than a client may meet."""
    found: dict[int, list[str]] = {}
    for status, code in STATUS_BY_ERROR.values():
        if code not in found.setdefault(status, []):
            found[status].append(code)
    return found


_CODES = _codes_by_status()
#: what a match's distance counts, per signal type (``SignalType.measure``)
_MEASURES = sorted({signal.measure for signal in SIGNALS})

#: codes the middleware gives conditions outside any documented operation
_ROUTING_CODES = "`not_found` (unknown path), `method_not_allowed` (405), `internal_error` (500)"

_ERROR_CODE_TEXT = (
    "stable machine-readable code: "
    + "; ".join(f"{status}: {', '.join(codes)}" for status, codes in sorted(_CODES.items()))
    + f"; and {_ROUTING_CODES}"
)

_SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        {
            "error": _obj(
                {
                    "code": {**_STR, "description": _ERROR_CODE_TEXT},
                    "message": {**_STR, "description": "what went wrong, for humans"},
                }
            )
        }
    ),
    "Query": _obj(
        {
            "signal": {
                **_STR,
                "description": "signal type: pdq, phash, md5, sha256, orb (local features) or "
                "vpdq (a video)",
            },
            "value": {
                **_STR,
                "description": "the hash, hexadecimal; for orb the base64 text of a "
                "local-feature blob (up to 20,292 characters: send it with POST /v1/match); for "
                "vpdq a video's vPDQ, one 'frame_number,pdq_hex,quality,timestamp' per frame "
                "separated by newlines or ';' (docs/video.md)",
            },
        }
    ),
    "VideoSegment": _obj(
        {
            "query": _ref("TimeRange"),
            "stored": _ref("TimeRange"),
            "frames": {**_INT, "description": "query frames in the segment"},
            "stored_frames": {**_INT, "description": "stored frames in the segment"},
            "speed": {
                "type": "number",
                "description": "the stored video's pace relative to the query's",
            },
        },
        required=["query", "stored", "frames", "stored_frames"],
    ),
    "TimeRange": _obj(
        {
            "start": {"type": "number", "description": "seconds from the start"},
            "end": {"type": "number"},
            "text": {**_STR, "description": "mm:ss-mm:ss (h:mm:ss past an hour)"},
        }
    ),
    "VideoMatchDetail": {
        **_obj(
            {
                "matched": _BOOL,
                "query_share": {"type": "number", "description": "share of the query's frames"},
                "stored_share": {
                    "type": "number",
                    "description": "share of the stored video's frames",
                },
                "query_frames_matched": _INT,
                "query_frames": _INT,
                "stored_frames_matched": _INT,
                "stored_frames": _INT,
                "best_distance": _INT,
                "segments": {"type": "array", "items": _ref("VideoSegment")},
            }
        ),
        "description": "vpdq: a video query that matched a stored video, both shares and the "
        "matching time ranges in both videos (docs/video.md)",
    },
    "VideoFrameDetail": {
        **_obj({"frame_number": _INT, "timestamp": {"type": "number"}, "time": _STR}),
        "description": "vpdq: a picture found among a stored video's frames, and where",
    },
    "SameFileDetail": {
        **_obj({"same_file": {"enum": ["md5", "sha256"]}}),
        "description": "vpdq: the stored video was hashed from this very file",
    },
    "EchoedQuery": {
        **_obj(
            {
                "signal": _STR,
                "value": _STR,
                "quality": _INT,
                "low_quality": _BOOL,
                "frame_seconds": {"type": "number"},
            },
            required=["signal", "value"],
        ),
        "description": "The query hash as the server understood it (normalised lower-case hex).",
    },
    "Match": _obj(
        {
            "entry_id": _INT,
            "list_name": _STR,
            "distance": {
                **_INT,
                "description": "how near, read as `measure` says: bits apart (smaller is "
                "nearer), or for orb the verified inliers (larger is nearer, at least the "
                "list's threshold)",
            },
            "measure": {"enum": _MEASURES, "description": "what `distance` counts"},
            "labels": _STR_LIST,
            "signal": {**_STR, "description": "the signal type that matched"},
            "value": _STR,
            "likely_bad_hash": _BOOL,
            "matched_variant": {
                **_NULL_STR,
                "description": "the stored variant (e.g. crop-10) that matched; null: the hash",
            },
            "detail": {
                "oneOf": [
                    _ref("LocalFeatureTransform"),
                    _ref("VideoMatchDetail"),
                    _ref("VideoFrameDetail"),
                    _ref("SameFileDetail"),
                ],
                "description": "how the signal type matched (absent for the hashes): for orb, "
                "the transform that shows the stored picture in the query; for a stored video "
                "(vpdq), where and how much of it matched",
            },
            "drill": {**_BOOL, "description": "true when the list is an exercise (drill) list"},
        },
        required=[
            "entry_id",
            "list_name",
            "distance",
            "measure",
            "labels",
            "signal",
            "value",
            "likely_bad_hash",
            "matched_variant",
            "drill",
        ],
    ),
    "LocalFeatureTransform": _obj(
        {
            "inliers": {**_INT, "description": "corners verified in place (the match's score)"},
            "scale": {
                "type": "number",
                "description": "query pixels per stored-picture pixel (0.5: shown at half size)",
            },
            "rotation": {"type": "number", "description": "degrees, counter-clockwise"},
            "region": {
                "type": "array",
                "items": {"type": "number", "minimum": 0, "maximum": 1},
                "minItems": 4,
                "maxItems": 4,
                "description": "the part of the stored picture seen in the query: left, top, "
                "right, bottom as fractions of its width and height",
            },
            "mirrored": {**_BOOL, "description": "found in the query's mirror image"},
        }
    ),
    "Decision": _obj(
        {
            "matched": {**_BOOL, "description": "any signal type matched a block list"},
            "allowed": {**_BOOL, "description": "any signal type matched an allow list"},
            "signals": {**_STR_LIST, "description": "the signal types that matched, in order"},
        }
    ),
    "MatchResult": _obj(
        {
            "query": _ref("EchoedQuery"),
            "matched": _BOOL,
            "matches": {"type": "array", "items": _ref("Match")},
            "allow_matches": {
                "type": "array",
                "items": _ref("Match"),
                "description": "hits on allow lists (known benign content), reported separately",
            },
            "drill": _BOOL,
        }
    ),
    "BatchResult": _obj({"results": {"type": "array", "items": _ref("MatchResult")}}),
    "UploadResult": _obj(
        {
            "file": _obj({"name": _STR, "bytes": _INT}),
            "decision": _ref("Decision"),
            "results": {"type": "array", "items": _ref("MatchResult")},
        }
    ),
    "HashList": _obj(
        {
            **_LIST_FIELDS,
            "owner": _NULL_STR,
            "created_at": _DT,
            "created_by": _STR,
            "entry_count": _INT,
            "drill": _BOOL,
        }
    ),
    "Lists": _obj({"lists": {"type": "array", "items": _ref("HashList")}}),
    "Entry": _obj(
        {
            "id": _INT,
            "list_name": _STR,
            "signal": _STR,
            "value": _STR,
            "labels": _STR_LIST,
            "source": _STR,
            "incident_id": _NULL_STR,
            "added_by": _STR,
            "added_at": _DT,
            "removed_at": _NULL_DT,
            "removed_by": _NULL_STR,
            "removal_reason": _NULL_STR,
            "quality": _NULL_INT,
            "confirmed_count": _INT,
            "false_positive_count": _INT,
            "variants": {
                "type": "array",
                "items": _obj({"kind": _STR, "value": _STR}),
                "description": "derived search hashes (crops) stored with the entry",
            },
            "drill": _BOOL,
        }
    ),
    "EntryPage": _obj(
        {
            "entries": {"type": "array", "items": _ref("Entry")},
            "next_after": {**_NULL_INT, "description": "pass as ?after= for the next page"},
        }
    ),
    "Entries": _obj({"entries": {"type": "array", "items": _ref("Entry")}}),
    "NewEntry": _obj(
        {
            "signal": _STR,
            "value": _STR,
            "labels": _STR_LIST,
            "source": {**_STR, "description": "defaults to the key's platform"},
            "incident_id": _NULL_STR,
            "allow_low_quality": _BOOL,
            "drill": {
                **_BOOL,
                "description": (
                    "whether this is a drill hash; defaults to the list's kind, and must agree "
                    "with it (403 drill_list_violation otherwise)"
                ),
            },
        },
        required=["signal", "value"],
    ),
    "NewList": _obj({**_LIST_FIELDS, "owner": _STR}, required=["name"]),
    "Change": _obj(
        {
            "cursor": _STR,
            "seq": _INT,
            "kind": {"enum": ["add", "remove"]},
            "list_name": _STR,
            "at": _DT,
            "entry": _ref("Entry"),
            "drill": _BOOL,
        }
    ),
    "ChangePage": _obj(
        {
            "changes": {"type": "array", "items": _ref("Change")},
            "next_cursor": {**_STR, "description": "pass as ?since= to resume after this page"},
            "has_more": _BOOL,
        }
    ),
    "HmaLookup": {
        "type": "object",
        "description": "list name -> matches, as Meta's Hasher-Matcher-Actioner answers",
        "additionalProperties": {
            "type": "array",
            "items": _obj(
                {
                    "bank_content_id": _INT,
                    "distance": _STR,
                    "drill": {
                        "const": True,
                        "description": "present (true) only on matches in exercise lists",
                    },
                },
                required=["bank_content_id", "distance"],
            ),
        },
    },
    "Health": _obj({"status": _STR}),
    "Ready": _obj({"status": _STR, "checks": {"type": "object", "additionalProperties": _STR}}),
    "ApiKey": _obj(
        {
            "key_id": _STR,
            "platform": _STR,
            "scope": {"enum": ["query", "contribute", "admin"]},
            "exercise": _BOOL,
            "created_at": _DT,
            "created_by": _STR,
            "revoked_at": _NULL_DT,
            "revoked_by": _NULL_STR,
            "active": _BOOL,
            "query_count": _INT,
            "last_used_at": _NULL_DT,
        }
    ),
    "Keys": _obj({"keys": {"type": "array", "items": _ref("ApiKey")}}),
    "AuditRecord": _obj(
        {
            "id": _INT,
            "at": _DT,
            "actor": _STR,
            "action": _STR,
            "target": _STR,
            "detail": {"type": "object"},
        }
    ),
    "Audit": _obj({"records": {"type": "array", "items": _ref("AuditRecord")}}),
    "Feedback": _obj(
        {
            "verdict": {"enum": ["confirmed", "false_positive"]},
            "note": _STR,
        },
        required=["verdict"],
    ),
}


def _param(
    name: str, where: str, schema: dict[str, Any], description: str, required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema,
        "description": description,
    }


def _bounded(low: int, high: int | None) -> dict[str, Any]:
    """An integer parameter's bounds; beyond them the server answers 400 invalid_request."""
    return {**_INT, "minimum": low, **({} if high is None else {"maximum": high})}


_EXERCISE = _param(
    "include_exercise",
    "query",
    _BOOL,
    "serve exercise (drill) lists too; only keys created with the exercise flag may ask",
)
_LIST_NAME = _param("name", "path", _STR, "list name")
_ENTRY_ID = _param("entry_id", "path", _INT, "entry id")


def _op(
    summary: str,
    scope: str | None,
    responses: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    errors: tuple[int, ...] = (),
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "operationId": summary.lower().replace(" ", "_").replace("-", "_"),
        "responses": {**responses, **_errors(*errors)},
    }
    if scope is None:
        op["security"] = []
    else:
        op["description"] = f"Needs a key with scope `{scope}` or higher."
        op["responses"].update(_errors(*_AUTH_ERRORS))
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = body
    return op


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_PATHS: dict[str, Any] = {
    "/v1/health": {
        "get": _op("Health", None, {"200": _json(_ref("Health"), "The process is alive")})
    },
    "/v1/ready": {
        "get": _op(
            "Readiness",
            None,
            {
                "200": _json(_ref("Ready"), "Both stores answer"),
                "503": _json(_ref("Ready"), "A store does not answer"),
            },
        )
    },
    "/metrics": {
        "get": _op(
            "Metrics",
            None,
            {
                "200": {
                    "description": "Prometheus text format 0.0.4",
                    "content": {"text/plain": {"schema": _STR}},
                }
            },
        )
    },
    "/v1/openapi.json": {
        "get": _op("OpenAPI document", None, {"200": _json({"type": "object"}, "This document")})
    },
    "/v1/match": {
        "get": _op(
            "Match one hash",
            "query",
            {"200": _json(_ref("MatchResult"), "Matches within each list's threshold")},
            params=[
                _param(
                    "signal", "query", _STR, "signal type (pdq, phash, md5, sha256, vpdq)", True
                ),
                _param("value", "query", _STR, "the hash in hexadecimal", True),
                _EXERCISE,
            ],
            errors=(400,),
        ),
        "post": _op(
            "Match a batch",
            "query",
            {"200": _json(_ref("BatchResult"), "One result per query, in order")},
            params=[_EXERCISE],
            body=_json_body(
                _obj(
                    {
                        "queries": {
                            "type": "array",
                            "items": _ref("Query"),
                            "minItems": 1,
                            "description": "1 to api.max_batch (1000) queries",
                        }
                    }
                )
            ),
            errors=(400, 413),
        ),
    },
    "/v1/match/upload": {
        "post": _op(
            "Match an upload",
            "query",
            {"200": _json(_ref("UploadResult"), "One result per signal type of the file")},
            params=[_EXERCISE],
            body={
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": _obj({"file": {"type": "string", "contentEncoding": "binary"}})
                    }
                },
            },
            errors=(400, 413, 415),
        )
    },
    "/v1/lists": {
        "get": _op(
            "Read lists",
            "query",
            {"200": _json(_ref("Lists"), "Lists visible to this key")},
            params=[_EXERCISE],
            errors=(400,),
        ),
        "post": _op(
            "Create list",
            "admin",
            {"201": _json(_ref("HashList"), "The new list")},
            body=_json_body(_ref("NewList")),
            errors=(400, 409),
        ),
    },
    "/v1/lists/{name}": {
        "get": _op(
            "Read list",
            "query",
            {"200": _json(_ref("HashList"), "The list")},
            params=[_LIST_NAME, _EXERCISE],
            errors=(400, 404),
        )
    },
    "/v1/lists/{name}/entries": {
        "get": _op(
            "Read entries",
            "query",
            {"200": _json(_ref("EntryPage"), "Entries by ascending id")},
            params=[
                _LIST_NAME,
                _param("after", "query", _bounded(0, None), "return entries with a larger id"),
                _param("limit", "query", _bounded(1, 10_000), "page size (default 1000)"),
                _param("include_removed", "query", _BOOL, "also removed entries"),
                _EXERCISE,
            ],
            errors=(400, 404),
        ),
        "post": _op(
            "Add entries",
            "contribute",
            {"201": _json(_ref("Entries"), "All entries were added")},
            params=[_LIST_NAME, _EXERCISE],
            body=_json_body(
                _obj(
                    {
                        "entries": {
                            "type": "array",
                            "items": _ref("NewEntry"),
                            "minItems": 1,
                            "description": "1 to api.max_batch (1000) entries",
                        }
                    }
                )
            ),
            errors=(400, 404, 413),
        ),
    },
    "/v1/lists/{name}/export": {
        "get": _op(
            "Export list",
            "query",
            {
                "200": {
                    "description": "The list's active entries, streamed",
                    "headers": {
                        "X-Crisisbot-Drill": {
                            "schema": {"enum": ["true", "false"]},
                            "description": "true when the list is an exercise (drill) list",
                        },
                        "Content-Disposition": {
                            "schema": _STR,
                            "description": "attachment; DRILL-<name> for a drill list",
                        },
                    },
                    "content": {
                        "text/csv": {"schema": _STR},
                        "application/x-ndjson": {"schema": _STR},
                        "text/plain": {"schema": _STR},
                    },
                }
            },
            params=[
                _LIST_NAME,
                _param(
                    "format",
                    "query",
                    {"enum": ["csv", "jsonl", "text", "vpdq-jsonl"]},
                    "csv, JSON lines, '<signal type> <hash>' lines, or the list's videos as vPDQ "
                    "JSON lines (default csv)",
                ),
                _EXERCISE,
            ],
            errors=(400, 404),
        )
    },
    "/v1/entries/{entry_id}": {
        "get": _op(
            "Read entry",
            "query",
            {"200": _json(_ref("Entry"), "The entry, with feedback counts")},
            params=[_ENTRY_ID, _EXERCISE],
            errors=(400, 404),
        ),
        "delete": _op(
            "Remove entry",
            "contribute",
            {"200": _json(_ref("Entry"), "The removed entry")},
            params=[
                _ENTRY_ID,
                _param("reason", "query", _STR, "why (required here or in a JSON body)"),
                _EXERCISE,
            ],
            errors=(400, 404),
        ),
    },
    "/v1/entries/{entry_id}/feedback": {
        "post": _op(
            "Send feedback",
            "query",
            {"201": _json(_ref("Entry"), "The entry with updated feedback counts")},
            params=[_ENTRY_ID, _EXERCISE],
            body=_json_body(_ref("Feedback")),
            errors=(400, 404),
        )
    },
    "/v1/changes": {
        "get": _op(
            "Delta feed",
            "query",
            {"200": _json(_ref("ChangePage"), "Adds and removals in order")},
            params=[
                _param("since", "query", _STR, "cursor from a previous next_cursor (default 0)"),
                _param(
                    "limit",
                    "query",
                    _bounded(1, None),
                    "page size (default 1000), at most api.changes_max_limit (5000)",
                ),
                _EXERCISE,
            ],
            errors=(400,),
        )
    },
    "/v1/keys": {"get": _op("List keys", "admin", {"200": _json(_ref("Keys"), "Every key")})},
    "/v1/audit": {
        "get": _op(
            "Audit log",
            "admin",
            {"200": _json(_ref("Audit"), "Newest first")},
            params=[
                _param("limit", "query", _bounded(1, 10_000), "at most this many (default 100)"),
                _param("actor", "query", _STR, "only this actor"),
                _param("action", "query", _STR, "only this action, e.g. entry.add"),
            ],
            errors=(400,),
        )
    },
    "/m/lookup": {
        "get": _op(
            "HMA lookup",
            "query",
            {"200": _json(_ref("HmaLookup"), "Matches grouped by list")},
            params=[
                _param("signal_type", "query", _STR, "pdq, md5, ...", True),
                _param("signal", "query", _STR, "the hash in hexadecimal", True),
                _EXERCISE,
            ],
            errors=(400,),
        )
    },
}

_ERROR_TEXT = {
    400: (
        "Malformed request, hash or cursor, an empty batch or one over api.max_batch, "
        "or a degenerate (low-quality) PDQ hash added without allow_low_quality"
    ),
    401: "No key, or a malformed, unknown or revoked key",
    403: (
        "The key's scope or exercise flag does not allow this, or an entry's drill flag "
        "disagrees with its list's kind"
    ),
    404: "Unknown list or entry (or one this key may not see)",
    409: "A list with this name already exists",
    413: "Upload or body too large",
    415: "Not an image or video, truncated, or a decompression bomb",
    429: (
        "The key's rate limit is exceeded (rate_limited), or the client address failed to "
        "authenticate too often (auth_throttled: api.auth_failure_burst failures at once, then "
        "api.auth_failures_per_minute; every request from the address is refused, a good key "
        "included); retry after the Retry-After header's seconds"
    ),
}


@cache
def _document() -> dict[str, Any]:
    responses: dict[str, Any] = {
        f"E{s}": _json(_ref("Error"), f"{t}. Codes: {', '.join(_CODES[s])}")
        for s, t in _ERROR_TEXT.items()
    }
    responses["E429"]["headers"] = {
        "Retry-After": {"schema": _INT, "description": "seconds until a retry can succeed"}
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "crisisbot hash lookup API",
            "version": "1.0.0",
            "description": (
                "Check uploads against shared hash lists of terrorist and violent-extremist "
                "content. Authenticate with `Authorization: Bearer KEY` (or `X-API-Key: KEY`). "
                'Errors answer `{"error": {"code", "message"}}`. Every response, errors included, '
                "carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"apiKey": []}],
        "paths": _PATHS,
        "components": {
            "schemas": _SCHEMAS,
            "responses": responses,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """A fresh copy of the document (callers may mutate it)."""
    return copy.deepcopy(_document())
