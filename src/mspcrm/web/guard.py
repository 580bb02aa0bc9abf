"""What every page passes: a signed-in session, the CSRF token on anything that writes,
and the security level's right for what the page does (the same check as the API's)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mspcrm.domain.entity import Entity
from mspcrm.errors import (
    MspcrmError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ValidationError,
)
from mspcrm.services.crm import Services
from mspcrm.services.web_accounts import WebSession
from mspcrm.web import render
from mspcrm.web.session import current, require_csrf


@dataclass
class PageCall:
    """What a page handler gets: the request, services, session, entity and parsed form."""

    request: Request
    services: Services
    session: WebSession
    entity: Entity | None
    form: FormData | None


Handler = Callable[[PageCall], Awaitable[Response]]
STATUS = {NotFoundError: 404, PermissionDeniedError: 403, RateLimitedError: 429}


def sign_in_redirect(request: Request) -> Response:
    target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": f"/sign-in?next={target}"})
    return RedirectResponse(f"/sign-in?next={target}", status_code=303)


def error_page(request: Request, exc: MspcrmError, session: WebSession | None) -> Response:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    if isinstance(exc, ValidationError):
        status = 400
    return render.page(
        request,
        "error.html",
        {"status": status, "errors": exc.errors},
        session=session,
        status=status,
    )


def require(
    services: Services, session: WebSession, entities: list[Entity], needs: tuple[str, ...]
) -> None:
    """The security level's rights, checked as the API checks them (``Permissions.require``)."""
    for need in needs:
        for entity in entities:
            services.permissions.require(session.security_level, entity, need)


def page(
    handler: Handler,
    *,
    need: str = "read",
    entity: Entity | None = None,
    needs: tuple[str, ...] = (),
    every_entity: bool = False,
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler``: sign-in, CSRF, then the rights: ``needs`` (default ``(need,)``) on
    ``entity``, or on every entity with ``every_entity``; none when neither is given."""
    required = needs or (need,)

    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        session = await current(request)
        if session is None:
            return sign_in_redirect(request)
        try:
            form = await require_csrf(request, session)
            targets = list(services.registry) if every_entity else [entity] if entity else []
            if targets:
                await run_in_threadpool(require, services, session, targets, required)
            return await handler(PageCall(request, services, session, entity, form))
        except MspcrmError as exc:
            return error_page(request, exc, session)

    return endpoint
