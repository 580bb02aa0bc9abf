"""Templates: one Jinja2 environment, autoescaped, with the helpers every page uses."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from mspcrm.services.crm import Services
from mspcrm.services.web_accounts import WebSession
from mspcrm.web import presentation

STATIC_VERSION = "1"  # bump when a static file changes: the URLs are cached for a year

ENV = Environment(
    loader=PackageLoader("mspcrm.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals.update(
    label=presentation.label,
    input_kind=presentation.input_kind,
    shown=presentation.shown,
    form_value=presentation.form_value,
    title=presentation.title,
    static_version=STATIC_VERSION,
)


def readable_entities(services: Services, session: WebSession | None) -> list[Any]:
    """The entities the signed-in level may read, for the navigation."""
    if session is None:
        return []
    level = services.permissions.level(session.security_level)
    registry = services.registry
    return [
        e
        for e in registry
        if e.can_query and level.allows(e, "read") and not registry.is_configuration(e)
    ]


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    session: WebSession | None,
    status: int = 200,
) -> HTMLResponse:
    services: Services = request.app.state.services
    level = services.permissions.level(session.security_level) if session else None

    def can(need: str, entity: Any) -> bool:
        return level is not None and level.allows(entity, need)

    full = {
        "request": request,
        "session": session,
        "csrf_token": session.csrf_token if session else "",
        "nav": readable_entities(services, session),
        "can": can,
        **context,
    }
    html = ENV.get_template(template).render(full)
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
