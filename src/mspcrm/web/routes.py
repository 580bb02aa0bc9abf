"""The pages' routes, generated from the registry: every entity gets its list, detail,
new and edit pages, each declaring the right it needs (read, create, update, delete)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from mspcrm.domain.entities import COMPANY
from mspcrm.domain.entity import Entity, Registry
from mspcrm.web import (
    company,
    forms,
    inline,
    insights,
    merges,
    onboarding,
    pipeline,
    records,
    signin,
)
from mspcrm.web.guard import page
from mspcrm.web.render import STATIC_VERSION

STATIC = Path(__file__).parent / "static"
YEAR = 365 * 24 * 3600


class CachedStatic(StaticFiles):
    """Static files under a versioned path, cached by browsers for a year."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response


def wants_html(request: Request) -> bool:
    """A browser asking for a page (``GET /`` answers JSON to API clients)."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


home = page(signin.home)


def entity_routes(entity: Entity) -> list[Route]:
    base = f"/{entity.command}"
    routes = [
        Route(base, page(records.list_page, entity=entity), methods=["GET"]),
        Route(f"{base}/{{id:int}}", page(records.detail_page, entity=entity), methods=["GET"]),
    ]
    if entity.can_create and entity.api_writable:
        new = page(forms.new_page, need="create", entity=entity)
        routes.append(Route(f"{base}/new", new, methods=["GET", "POST"]))
        check = page(forms.duplicate_warning, need="read", entity=entity)
        routes.append(Route(f"{base}/duplicates", check, methods=["POST"]))
    if entity.can_update and entity.api_writable:
        edit = page(forms.edit_page, need="update", entity=entity)
        routes.append(Route(f"{base}/{{id:int}}/edit", edit, methods=["GET", "POST"]))
        field = page(inline.inline_field, need="update", entity=entity)
        routes.append(Route(f"{base}/{{id:int}}/inline/{{field}}", field, methods=["GET", "POST"]))
    if entity.can_delete and entity.api_writable:
        delete = page(forms.delete_action, need="delete", entity=entity)
        routes.append(Route(f"{base}/{{id:int}}/delete", delete, methods=["POST"]))
    return routes


def routes(registry: Registry) -> list[BaseRoute]:
    static = CachedStatic(directory=STATIC)
    found: list[BaseRoute] = [
        Mount(f"/static/{STATIC_VERSION}", app=static, name="static"),
        Route("/sign-in", signin.sign_in_page, methods=["GET"]),
        Route("/sign-in", signin.sign_in, methods=["POST"]),
        Route("/sign-out", page(signin.sign_out), methods=["POST"]),
        *pipeline.routes(registry),
        *merges.routes(registry),
        *insights.routes(),
        *onboarding.routes(),
    ]
    hand_made = registry.by_name(COMPANY.name)
    found.append(
        Route(f"/{hand_made.command}/{{id:int}}", page(company.company_page, entity=hand_made))
    )
    for entity in registry:
        if entity.can_query:
            found.extend(entity_routes(entity))
    return found
