"""The two middlewares: metrics (outermost) and errors-to-JSON.

Every failure leaves the server as ``{"error": {"code", "message"}}`` with the status from
:data:`hashdb.api.errors.STATUS_BY_ERROR`; aiohttp's own HTTP errors (unknown route, wrong method,
body over ``client_max_size``) are rewritten into the same shape.
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

__all__ = ["error_middleware", "json_error", "metrics_middleware"]

log = logging.getLogger("hashdb.api")

#: aiohttp's own errors whose code must equal the one our table gives the same condition
_CODES = {413: "payload_too_large"}


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
