"""The one exception tree of mspcrm, shared by the server, the SDK and the CLI.

    MspcrmError
    ├── ValidationError        bad input: a field, a value, a body (400)
    │   └── QueryError         a bad filter, operator, field or paging token (400)
    ├── AuthenticationError    missing or wrong credentials (401)
    ├── PermissionDeniedError  the caller may not do this (403)
    ├── NotFoundError          the record or route does not exist (404)
    ├── MethodNotAllowedError  the route exists, the verb does not (405)
    ├── ConflictError          the write clashes with existing data (409)
    ├── PayloadTooLargeError   a body or list over its cap (413)
    ├── RateLimitedError       a threshold was reached; carries retry_after (429)
    │   └── ThreadLimitError   too many concurrent requests on one endpoint (429)
    ├── ServerError            a real fault on our side (500)
    └── UnreachableError       no answer: connection refused or reset, DNS, TLS (SDK only)
        └── RequestTimeoutError  the server did not answer in time (SDK only)

Only ``mspcrm.api`` maps these to HTTP statuses. Every error carries a list of
messages (``errors``), each naming the field, value or operator concerned.
Standard library only.
"""

from __future__ import annotations


class MspcrmError(Exception):
    """Base of every error mspcrm raises on purpose."""

    def __init__(self, *messages: str) -> None:
        self.errors: list[str] = [m for m in messages if m] or [self.__class__.__name__]
        super().__init__("; ".join(self.errors))


class ValidationError(MspcrmError):
    """Input that cannot be accepted: names the field and the value."""


class QueryError(ValidationError):
    """A filter, operator, field or paging token that cannot be used."""


class AuthenticationError(MspcrmError):
    """Credentials missing, unknown or wrong.

    ``reason`` is one of ``missing``, ``unknown_user``, ``bad_secret``,
    ``bad_integration_code`` or ``inactive``; the API decides how much of it
    the caller may see.
    """

    def __init__(self, *messages: str, reason: str = "bad_secret") -> None:
        super().__init__(*messages)
        self.reason = reason


class PermissionDeniedError(MspcrmError):
    """The authenticated caller may not perform this operation."""


class NotFoundError(MspcrmError):
    """A record (or a route) that does not exist."""


class MethodNotAllowedError(MspcrmError):
    """The route exists but does not support the HTTP method."""


class ConflictError(MspcrmError):
    """The write clashes with data that already exists."""


class PayloadTooLargeError(MspcrmError):
    """A request body, list or nesting beyond its cap."""


class RateLimitedError(MspcrmError):
    """A request threshold was reached; retry after ``retry_after`` seconds."""

    def __init__(self, *messages: str, retry_after: float = 1.0) -> None:
        super().__init__(*messages)
        self.retry_after = retry_after


class ThreadLimitError(RateLimitedError):
    """Too many requests in flight for one integration code and endpoint."""


class ServerError(MspcrmError):
    """A fault on the server's side, not the caller's."""


class UnreachableError(MspcrmError):
    """The server could not be reached or dropped the connection (raised by the SDK, after
    its retries, in place of the HTTP library's own exception)."""


class RequestTimeoutError(UnreachableError):
    """The server did not answer within the client's timeout."""
