"""Errors of the HTTP adapter and the one table mapping every error to an HTTP status.

Request errors the core cannot know about (bad JSON, batch too large, a missing form field) are
:class:`RequestInvalid` subclasses of :class:`hashdb.errors.HashDBError`, so one table
(:data:`STATUS_BY_ERROR`) and one renderer (:func:`error_body`) cover every failure. Lookup walks
the exception's MRO, so a subclass inherits its parent's status unless it has its own row.

Every error answers ``{"error": {"code": "...", "message": "..."}}``.
"""

from __future__ import annotations

from typing import Any

from hashdb.access.errors import (
    AccessError,
    Forbidden,
    InvalidKeyRequest,
    KeyNotFound,
    NotAuthenticated,
    RateLimited,
    TooManyFailedAuthentications,
)
from hashdb.errors import (
    DrillListViolation,
    EntryNotFound,
    FileTooLarge,
    HashDBError,
    ImportFormatError,
    InvalidArgument,
    InvalidHash,
    ListExists,
    ListNotFound,
    LowQualityHash,
    UnsupportedMedia,
)

__all__ = [
    "BatchTooLarge",
    "PayloadTooLarge",
    "RequestInvalid",
    "STATUS_BY_ERROR",
    "error_body",
    "status_for",
]


class RequestInvalid(HashDBError):
    """The request itself is malformed: bad JSON, a missing or wrongly typed field."""


class BatchTooLarge(RequestInvalid):
    """More hashes in one request than ``ApiConfig.max_batch``."""


class PayloadTooLarge(HashDBError):
    """The request body is larger than the configured limit."""


#: error class -> (HTTP status, stable error code). The first class in the MRO found wins.
STATUS_BY_ERROR: dict[type[BaseException], tuple[int, str]] = {
    InvalidHash: (400, "invalid_hash"),
    BatchTooLarge: (400, "batch_too_large"),
    RequestInvalid: (400, "invalid_request"),
    ImportFormatError: (400, "invalid_request"),
    InvalidArgument: (400, "invalid_request"),
    LowQualityHash: (400, "low_quality_hash"),
    InvalidKeyRequest: (400, "invalid_request"),
    NotAuthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    DrillListViolation: (403, "drill_list_violation"),
    ListNotFound: (404, "list_not_found"),
    EntryNotFound: (404, "entry_not_found"),
    KeyNotFound: (404, "key_not_found"),
    ListExists: (409, "list_exists"),
    FileTooLarge: (413, "file_too_large"),
    PayloadTooLarge: (413, "payload_too_large"),
    UnsupportedMedia: (415, "unsupported_media"),
    TooManyFailedAuthentications: (429, "auth_throttled"),
    RateLimited: (429, "rate_limited"),
    AccessError: (403, "forbidden"),
    HashDBError: (400, "invalid_request"),
}


def status_for(exc: BaseException) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500, "internal_error"


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
