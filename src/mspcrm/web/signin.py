"""Sign-in, sign-out and the home page."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mspcrm.errors import AuthenticationError, RateLimitedError
from mspcrm.services.crm import Services
from mspcrm.web import render
from mspcrm.web.guard import PageCall
from mspcrm.web.session import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    clear_cookie,
    current,
    new_sign_in_token,
    set_cookie,
    tokens_match,
)

SIGN_IN_TTL = 3600


def safe_next(raw: str) -> str:
    """Only a path on this site (no ``//host`` or scheme): no open redirect."""
    if raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/"


def _sign_in_form(
    request: Request, errors: list[str], username: str, status: int, next_path: str
) -> Response:
    token = request.cookies.get(SIGN_IN_COOKIE) or new_sign_in_token()
    context = {
        "errors": errors,
        "username": username,
        "sign_in_token": token,
        "next": safe_next(next_path),
    }
    response = render.page(request, "sign_in.html", context, session=None, status=status)
    set_cookie(request, response, SIGN_IN_COOKIE, token, SIGN_IN_TTL)
    return response


async def sign_in_page(request: Request) -> Response:
    if await current(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next", "/")), 303)
    return _sign_in_form(request, [], "", 200, request.query_params.get("next", "/"))


async def sign_in(request: Request) -> Response:
    services: Services = request.app.state.services
    form = await request.form()
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    next_path = str(form.get("next") or "/")
    sent = str(form.get("sign_in_token") or "")
    if not tokens_match(sent, request.cookies.get(SIGN_IN_COOKIE, "")):
        expired = ["The sign-in form expired: please try again"]
        return _sign_in_form(request, expired, username, 403, next_path)
    client = request.client.host if request.client else ""
    previous = request.cookies.get(SESSION_COOKIE, "")
    try:
        token, _ = await run_in_threadpool(
            lambda: services.web_accounts.sign_in(
                username, password, client=client, previous=previous
            )
        )
    except (AuthenticationError, RateLimitedError) as exc:
        status = 429 if isinstance(exc, RateLimitedError) else 401
        return _sign_in_form(request, exc.errors, username, status, next_path)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    lifetime = int(services.web_accounts.lifetime.total_seconds())
    set_cookie(request, response, SESSION_COOKIE, token, lifetime)
    clear_cookie(request, response, SIGN_IN_COOKIE)
    return response


async def sign_out(call: PageCall) -> Response:
    token = call.request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(call.services.web_accounts.sign_out, token)
    response = RedirectResponse("/sign-in", status_code=303)
    clear_cookie(call.request, response, SESSION_COOKIE)
    return response


async def home(call: PageCall) -> Response:
    entities = render.readable_entities(call.services, call.session)
    return render.page(call.request, "home.html", {"entities": entities}, session=call.session)
