"""The browser's session cookie and the CSRF token every form and htmx request sends back.

Cookies: HttpOnly, SameSite=Lax, Path=/, and Secure when the request came over TLS
(directly, or through a proxy saying ``X-Forwarded-Proto: https``). The sign-in form,
which has no session yet, is protected by a double-submit token in its own cookie.
"""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from mspcrm.errors import PermissionDeniedError
from mspcrm.services.crm import Services
from mspcrm.services.web_accounts import WebSession

SESSION_COOKIE = "mspcrm_session"
SIGN_IN_COOKIE = "mspcrm_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_REFUSED = "The form's security token is missing or out of date: reload the page and retry"


def over_tls(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=over_tls(request),
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=over_tls(request))


async def current(request: Request) -> WebSession | None:
    """The signed-in session of this request, or None."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    services: Services = request.app.state.services
    return await run_in_threadpool(services.web_accounts.session, token)


def tokens_match(sent: str, expected: str) -> bool:
    return bool(sent) and bool(expected) and secrets.compare_digest(sent, expected)


async def require_csrf(request: Request, session: WebSession) -> FormData | None:
    """Refuse an unsafe request without the session's token (form field or header); the
    parsed form, when there is one."""
    if request.method not in UNSAFE:
        return None
    form = await request.form()
    sent = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD) or "")
    if not tokens_match(sent, session.csrf_token):
        raise PermissionDeniedError(CSRF_REFUSED)
    return form


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(24)
