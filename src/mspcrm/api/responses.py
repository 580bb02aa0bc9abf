"""JSON responses and the one table that maps errors to HTTP statuses, per mode.

Default mode answers honestly (400/401/403/404/405/409/413/429). The
``autotask`` mode reproduces what Autotask does: business and validation
errors are HTTP 500, an unknown user or integration code is 500, a method a
route lacks is 405 with the ASP.NET ``{"Message": ...}`` body.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.responses import Response

from mspcrm import errors

log = logging.getLogger("mspcrm.api")

JSON_TYPE = "application/json; charset=utf-8"

STATUS = {
    errors.QueryError: 400,
    errors.ValidationError: 400,
    errors.AuthenticationError: 401,
    errors.PermissionDeniedError: 403,
    errors.NotFoundError: 404,
    errors.MethodNotAllowedError: 405,
    errors.ConflictError: 409,
    errors.PayloadTooLargeError: 413,
    errors.RateLimitedError: 429,
    errors.ServerError: 500,
}
AUTOTASK_AS_500 = (
    errors.ThreadLimitError,  # Autotask's thread-threshold answer is not a 429 (reference §8)
    errors.ValidationError,
    errors.ConflictError,
    errors.NotFoundError,
    errors.PermissionDeniedError,
)
UNEXPECTED = (
    "An unexpected error has occurred. If the problem persists, please contact your "
    "mspcrm administrator and reference the server log."
)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON_TYPE, headers=headers)


def status_for(exc: errors.MspcrmError, *, autotask: bool) -> int:
    if autotask:
        if isinstance(exc, errors.AuthenticationError):
            return 401 if exc.reason in ("bad_secret", "missing", "inactive") else 500
        if isinstance(exc, AUTOTASK_AS_500):
            return 500
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def error_response(exc: errors.MspcrmError, *, autotask: bool) -> Response:
    status = status_for(exc, autotask=autotask)
    headers = {}
    if isinstance(exc, errors.RateLimitedError):
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    if isinstance(exc, errors.MethodNotAllowedError) and autotask:
        return json_response({"Message": exc.errors[0]}, status)
    return json_response({"errors": exc.errors}, status, headers)


def unexpected_response(exc: BaseException) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return json_response({"errors": [UNEXPECTED]}, 500)
