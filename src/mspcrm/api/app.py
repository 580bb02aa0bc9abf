"""The ASGI application: the Autotask surface under ``/ATServicesRest``, a landing page at ``/``.

Paths under ``/ATServicesRest`` are matched in any letter case, so routing is
one dispatcher rather than Starlette's case-sensitive router.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from mspcrm import __version__
from mspcrm.api import autotask, events, guard, imports, native, workflows
from mspcrm.api.access import AUTOTASK, check_declared, declare, declare_pages
from mspcrm.api.credentials import caller
from mspcrm.api.metrics import MetricsMiddleware, exposition
from mspcrm.api.native import public
from mspcrm.api.openapi import openapi_document
from mspcrm.api.responses import error_response, json_response
from mspcrm.config import Settings
from mspcrm.errors import MspcrmError, NotFoundError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services, build_services
from mspcrm.services.health import HealthCheck
from mspcrm.web import routes as web

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def _autotask_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    autotask_mode = services.settings.autotask_mode
    try:
        route = autotask.resolve_route(request.url.path, services)
        handler, need = autotask.pick_handler(route, request.method, autotask=autotask_mode)
        call = autotask.Call(request, services, route)
        if route.kind in autotask.PUBLIC:
            return await handler(call)
        call.actor = await caller(request, services)
        for entity, right in autotask.needs(route, need):
            await guard.permit(services, call.actor, [entity], (right,))
        endpoint = route.entity.name if route.entity is not None else route.kind
        return await guard.limited(request, services, endpoint, lambda: handler(call))
    except MspcrmError as exc:
        return error_response(exc, autotask=autotask_mode)
    except Exception as exc:  # a real fault: logged, answered with a generic 500
        return guard.fault(request, exc, services, autotask=autotask_mode)


async def _landing(request: Request) -> Response:
    if request.app.state.web_pages and web.wants_html(request):  # a browser: the pages
        return await web.home(request)
    root = str(request.base_url).rstrip("/")
    return json_response(
        {
            "name": "mspcrm",
            "version": __version__,
            "autotaskApi": f"{root}/ATServicesRest/V1.0/",
            "zoneInformation": f"{root}/ATServicesRest/V1.0/ZoneInformation",
            "openapi": f"{root}/api/v1/openapi.json",
            "mode": request.app.state.services.settings.compat,
        }
    )


async def _healthz(request: Request) -> Response:
    health = await run_in_threadpool(request.app.state.health.check)
    return json_response(health.to_wire(), status=200 if health.ok else 503)


async def _metrics(request: Request) -> Response:
    body, media_type = exposition()
    return Response(body, media_type=media_type)


async def _openapi(request: Request) -> Response:
    return json_response(openapi_document(request.app.state.services.registry))


async def _dispatch(request: Request) -> Response:
    path = request.url.path
    first = next((p for p in path.split("/") if p), "").lower()
    if first in ("atservicesrest", "v1.0"):
        return await _autotask_endpoint(request)
    autotask_mode = request.app.state.services.settings.autotask_mode
    return error_response(NotFoundError(f"No route for {path}"), autotask=autotask_mode)


def _routes(extensions: bool) -> list[StarletteRoute]:
    """Every API route, each with its permission declaration (api/access.py); our own
    ``/api/v1`` only with ``extensions``. The catch-all dispatcher comes last."""
    declare(_dispatch, AUTOTASK)  # autotask.HANDLERS declares each (kind, method)
    return [
        StarletteRoute("/", public(_landing), methods=["GET", "HEAD"]),
        # for monitoring: no credentials (what they show names no record)
        StarletteRoute("/healthz", public(_healthz), methods=["GET", "HEAD"]),
        StarletteRoute("/metrics", public(_metrics), methods=["GET"]),
        *(_extension_routes() if extensions else []),
        StarletteRoute("/{path:path}", _dispatch, methods=METHODS),
    ]


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    local_actor: Actor | None = None,
    extensions: bool | None = None,
) -> Starlette:
    """The application; pass ``services`` to share an already-open database (tests, CLI).

    ``local_actor`` is for in-process use only (the CLI and the agent interface run the
    app through an in-process transport): every request acts as it, whatever its
    headers. A server listening on a socket never sets it.

    ``extensions``: serve our own API under ``/api/v1``. By default on, except for a
    server in autotask mode, which serves only what Autotask serves (a faithful stand-in).
    """
    owned = services is None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        renewing = None if local_actor else asyncio.create_task(_renew(app.state.services))
        if local_actor is None:  # serving: deliver webhook callouts beside the requests
            app.state.services.webhooks.start_worker()
        yield
        if renewing is not None:
            renewing.cancel()
        app.state.services.webhooks.stop_worker()
        if owned:
            app.state.services.close()

    services = services or build_services(settings or Settings())
    if extensions is None:
        extensions = local_actor is not None or not services.settings.autotask_mode
    routes = _routes(extensions)
    check_declared(routes)  # a route that declares no rights does not start
    autotask.check_table()
    # the web pages check sign-in, CSRF and the level's rights in web/guard.page
    pages = web.routes(services.registry) if extensions else []
    declare_pages(pages)
    check_declared(pages)
    app = Starlette(routes=[*routes[:-1], *pages, routes[-1]], lifespan=lifespan)
    app.state.services = services
    app.state.web_pages = extensions
    app.state.health = HealthCheck(app.state.services.db)
    app.state.local_actor = local_actor
    app.add_middleware(MetricsMiddleware, registry=app.state.services.registry)
    if local_actor is None:  # serving requests: other processes on the database must know
        app.state.services.limits.register()
    return app


def _extension_routes() -> list[Any]:
    """Our own API under ``/api/v1`` (duplicates, merges, imports, workflows)."""
    return [
        StarletteRoute("/api/v1/openapi.json", public(_openapi), methods=["GET"]),
        *imports.routes(),
        *native.routes(),
        *workflows.routes(),
        *events.routes(),
    ]


async def _renew(services: Services) -> None:
    """Keep this server's registration current while it runs, busy or idle."""
    while True:
        await asyncio.sleep(services.limits.server_ttl / 3)
        await run_in_threadpool(services.limits.renew)


EXTENSIONS_VARIABLE = "MSPCRM_EXTENSIONS"  # on | off; unset: the mode's default


def app_factory() -> Any:
    """For ``uvicorn --factory mspcrm.api.app:app_factory`` and ``serve --workers``: settings
    from the environment."""
    import os

    from mspcrm.config import load_settings

    chosen = os.environ.get(EXTENSIONS_VARIABLE, "").strip().lower()
    extensions = None if not chosen else chosen in ("1", "on", "true", "yes")
    return create_app(load_settings(), extensions=extensions)
