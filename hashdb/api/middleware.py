"""What wraps every request: two middlewares, metrics (outermost) and errors-to-JSON, and the
headers every response carries.

Every failure leaves the server as ``{"error": {"code", "message"}}`` with the status from
:data:`hashdb.api.errors.STATUS_BY_ERROR`; aiohttp's own HTTP errors (unknown route, wrong method,
body over ``client_max_size``) are rewritten into the same shape.

:func:`response_headers` is an ``on_response_prepare`` hook rather than a middleware because a
streamed response (``/v1/lists/{name}/export``) sends its headers inside the handler, before a
middleware could touch them; the hook runs for every response the application prepares.
"""

from __future__ import annotations

import logging
import time
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Handler

from hashdb.access import RateLimited
from hashdb.api.app_keys import METRICS
from hashdb.api.errors import error_body, status_for
from hashdb.api.jsonio import json_response
from hashdb.errors import HashDBError

__all__ = [
    "RESPONSE_HEADERS",
    "error_middleware",
    "json_error",
    "metrics_middleware",
    "response_headers",
]

log = logging.getLogger("hashdb.api")

#: aiohttp's own errors whose code must equal the one our table gives the same condition
_CODES = {413: "payload_too_large"}

#: on every response, errors included. Answers (matches, entries, keys, the audit log) are
#: about content a caller may not keep anywhere it did not choose to, so no cache stores them;
#: no content is ever to be sniffed into another type (an export is text, never a page); and
#: ``Server`` names no software version an attacker could look up.
RESPONSE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Server": "crisisbot",
}


def json_error(status: int, code: str, message: str) -> web.Response:
    return json_response(error_body(code, message), status=status)


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        request.app[METRICS].observe_request(
            _route_name(request), request.method, status, time.perf_counter() - started
        )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except HashDBError as exc:
        status, code = status_for(exc)
        response = json_error(status, code, str(exc))
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        phrase = HTTPStatus(exc.status).phrase
        code = _CODES.get(exc.status) or phrase.lower().replace(" ", "_").replace("-", "_")
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else phrase
        response = json_error(exc.status, code, message)
        for header in ("Allow", "Retry-After"):
            if header in exc.headers:
                response.headers[header] = exc.headers[header]
        return response
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return json_error(500, "internal_error", "internal server error")


async def response_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Set :data:`RESPONSE_HEADERS` on ``response`` (an ``on_response_prepare`` hook)."""
    response.headers.update(RESPONSE_HEADERS)
