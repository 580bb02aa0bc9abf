"""Responses -> JSON or the matching ``mspcrm.errors`` exception, and when to retry.

Status table (one place)::

    400 ValidationError (QueryError when the text is about a query)
    401 AuthenticationError      403 PermissionDeniedError   404 NotFoundError
    405 MethodNotAllowedError    409 ConflictError           413 PayloadTooLargeError
    429 RateLimitedError (retry_after from Retry-After)      5xx ServerError

Autotask answers most business errors with HTTP 500; the message text is
kept, and a few well-known texts get the class that says what they mean
(an unknown field in a filter is a ``QueryError``, not a server fault).
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from datetime import UTC
from typing import Any

import httpx

from mspcrm import errors

STATUS: dict[int, type[errors.MspcrmError]] = {
    400: errors.ValidationError,
    401: errors.AuthenticationError,
    403: errors.PermissionDeniedError,
    404: errors.NotFoundError,
    405: errors.MethodNotAllowedError,
    409: errors.ConflictError,
    413: errors.PayloadTooLargeError,
    429: errors.RateLimitedError,
}
# Texts real Autotask sends with HTTP 500 (or 400) that are the caller's doing, lower case.
KNOWN_TEXTS: tuple[tuple[str, type[errors.MspcrmError]], ...] = (
    ("unable to find", errors.QueryError),
    ("maxcountofrecordstoreturn", errors.QueryError),
    ("invalid query syntax", errors.QueryError),
    ("unknown operator", errors.QueryError),
    ("cannot be queried", errors.QueryError),
    ("does not have the adequate permissions", errors.PermissionDeniedError),
)
THREAD_LIMIT_TEXT = "thread threshold"  # Autotask's thread limit, often not a 429
DEFAULT_RETRY_AFTER = 1.0
BACKOFF_BASE = 0.5  # seconds before the first retry of a failure; doubled each time
GATEWAY_STATUSES = (502, 503, 504)  # a proxy or a restarting server: worth another try
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")
READ_ONLY_POSTS = ("/query", "/query/count", "/duplicates/check")  # POSTs that only read


def messages(response: httpx.Response) -> list[str]:
    """The server's messages: ``{"errors": [...]}``, ASP.NET ``{"Message": ...}``, or the text."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = response.text.strip()
        return [text[:500]] if text else [f"HTTP {response.status_code} {response.reason_phrase}"]
    if isinstance(body, dict):
        lowered = {str(k).lower(): v for k, v in body.items()}
        found = lowered.get("errors") or lowered.get("message") or lowered.get("title")
        if isinstance(found, list):
            return [_text(m) for m in found] or [f"HTTP {response.status_code}"]
        if found:
            return [_text(found)]
    return [f"HTTP {response.status_code}: {str(body)[:500]}"]


def _text(message: Any) -> str:
    if isinstance(message, dict):
        lowered = {str(k).lower(): v for k, v in message.items()}
        return str(lowered.get("message") or message)
    return str(message)


def error_for(response: httpx.Response) -> errors.MspcrmError:
    """The exception for an error response, with the request noted on it."""
    found = messages(response)
    kind = STATUS.get(response.status_code, errors.ServerError)
    if response.status_code in (400, 500):
        joined = " ".join(found).lower()
        kind = next((k for text, k in KNOWN_TEXTS if text in joined), kind)
    exc: errors.MspcrmError
    if kind is errors.RateLimitedError:
        exc = errors.RateLimitedError(*found, retry_after=retry_after(response))
    else:
        exc = kind(*found)
    request = response.request
    exc.add_note(f"HTTP {response.status_code} from {request.method} {request.url}")
    return exc


def decode(response: httpx.Response) -> Any:
    """The JSON body of a success, or raise the mapped error."""
    if response.status_code >= 400:
        raise error_for(response)
    if not response.content.strip():
        return {}
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise errors.ServerError(
            f"The server answered HTTP {response.status_code} with a body that is not JSON"
        ) from None


def retry_after(response: httpx.Response) -> float:
    """Seconds from ``Retry-After`` (a number or an HTTP date); 1 s when absent or unreadable."""
    raw = response.headers.get("retry-after", "").strip()
    if not raw:
        return DEFAULT_RETRY_AFTER
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - time.time())


def idempotent(request: httpx.Request) -> bool:
    """Whether sending ``request`` twice does what sending it once does."""
    if request.method in SAFE_METHODS:
        return True
    path = request.url.path.rstrip("/").lower()
    return request.method == "POST" and path.endswith(READ_ONLY_POSTS)


def backoff(attempt: int, max_wait: float) -> float:
    """Exponential backoff with jitter: half the step fixed, half random, capped."""
    step = min(max_wait, BACKOFF_BASE * 2.0**attempt)
    return step / 2 + random.uniform(0, step / 2)


def retry_delay(
    response: httpx.Response,
    attempt: int,
    *,
    max_retries: int,
    max_wait: float,
    retry_writes: bool = False,
) -> float | None:
    """How long to wait before sending again, or ``None`` to hand the response back.

    Retried, at most ``max_retries`` times and never for longer than ``max_wait`` at
    once: 429 (for ``Retry-After`` seconds); Autotask's thread-limit error (often a 500
    saying "thread threshold ... exceeded"); 502, 503 and 504 with backoff and jitter
    (``Retry-After`` when given) for idempotent requests, or any with ``retry_writes``.
    """
    if attempt >= max_retries:
        return None
    status = response.status_code
    if status == 429:
        delay = retry_after(response)
    elif status >= 500 and THREAD_LIMIT_TEXT in response.text.lower():
        delay = DEFAULT_RETRY_AFTER * (attempt + 1)
    elif status in GATEWAY_STATUSES and (retry_writes or idempotent(response.request)):
        given = response.headers.get("retry-after")
        delay = retry_after(response) if given else backoff(attempt, max_wait)
    else:
        return None
    return delay if delay <= max_wait else None


def failure_delay(
    exc: httpx.TransportError,
    request: httpx.Request,
    attempt: int,
    *,
    max_retries: int,
    max_wait: float,
    retry_writes: bool = False,
) -> float:
    """The wait before retrying after ``exc`` (no answer at all), or raise it as an
    ``UnreachableError``. A request that never left (connection refused, DNS) is safe to
    send again whatever its method; one that may have arrived only if it is idempotent."""
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    if attempt < max_retries and (never_sent or retry_writes or idempotent(request)):
        return backoff(attempt, max_wait)
    raise unreachable(exc, request, attempt + 1) from exc


def unreachable(
    exc: httpx.TransportError, request: httpx.Request, tries: int
) -> errors.UnreachableError:
    where = f"{request.method} {request.url.copy_with(query=None)}"
    kind = errors.RequestTimeoutError if isinstance(exc, httpx.TimeoutException) else None
    if kind is not None:
        return kind(f"No answer in time from {where} ({tries} tries): {exc or type(exc).__name__}")
    return errors.UnreachableError(
        f"Could not reach {where} ({tries} tries): {exc or type(exc).__name__}"
    )
