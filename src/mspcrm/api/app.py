"""The ASGI application: the Autotask surface under ``/ATServicesRest``, a landing page at ``/``.

Paths under ``/ATServicesRest`` are matched in any letter case, so routing is
one dispatcher rather than Starlette's case-sensitive router.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from mspcrm import __version__
from mspcrm.api import autotask, native
from mspcrm.api.openapi import openapi_document
from mspcrm.api.responses import error_response, json_response, unexpected_response
from mspcrm.config import Settings
from mspcrm.errors import MspcrmError, NotFoundError, PermissionDeniedError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services, build_services

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _header(request: Request, name: str) -> str:
    return request.headers.get(name, "").strip()


def _authenticate(call: autotask.Call) -> None:
    headers = call.request.headers
    local: Actor | None = call.request.app.state.local_actor
    if local is not None:
        call.actor = local  # in-process use by the CLI or the agent interface only
        return
    call.actor = call.services.auth.actor(
        username=_header(call.request, "username"),
        secret=headers.get("secret", ""),
        integration_code=_header(call.request, "apiintegrationcode"),
        impersonate=_header(call.request, "impersonationresourceid") or None,
    )


async def _autotask_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    autotask_mode = services.settings.autotask_mode
    try:
        route = autotask.resolve_route(request.url.path, services)
        handler, need = autotask.pick_handler(route, request.method, autotask=autotask_mode)
        if route.kind not in autotask.PUBLIC:
            request.app.state.request_counter.hit()
            call = autotask.Call(request, services, route)
            await run_in_threadpool(_authenticate, call)
            _authorise(call, need)
        else:
            call = autotask.Call(request, services, route)
        return await handler(call)
    except MspcrmError as exc:
        return error_response(exc, autotask=autotask_mode)
    except Exception as exc:  # a real fault: logged, answered with a generic 500
        return unexpected_response(exc)


def _authorise(call: autotask.Call, need: str) -> None:
    actor = call.actor
    assert actor is not None
    if need in ("create", "update", "delete") and actor.security_level == "read-only":
        verb = {"create": "create", "update": "update", "delete": "delete"}[need]
        raise PermissionDeniedError(
            f"The logged in Resource does not have the adequate permissions to {verb} this "
            "entity type."
        )


async def _landing(request: Request) -> Response:
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


async def _openapi(request: Request) -> Response:
    return json_response(openapi_document(request.app.state.services.registry))


async def _dispatch(request: Request) -> Response:
    path = request.url.path
    first = next((p for p in path.split("/") if p), "").lower()
    if first in ("atservicesrest", "v1.0"):
        return await _autotask_endpoint(request)
    if first == "":
        return await _landing(request)
    autotask_mode = request.app.state.services.settings.autotask_mode
    return error_response(NotFoundError(f"No route for {path}"), autotask=autotask_mode)


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    local_actor: Actor | None = None,
) -> Starlette:
    """The application; pass ``services`` to share an already-open database (tests, CLI).

    ``local_actor`` is for in-process use only (the CLI and the agent interface run the
    app through an in-process transport): every request acts as it, whatever its
    headers. A server listening on a socket never sets it.
    """
    owned = services is None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            app.state.services.close()

    app = Starlette(
        routes=[
            StarletteRoute("/api/v1/openapi.json", _openapi, methods=["GET"]),
            *native.routes(),
            StarletteRoute("/{path:path}", _dispatch, methods=METHODS),
        ],
        lifespan=lifespan,
    )
    app.state.services = services or build_services(settings or Settings())
    app.state.request_counter = autotask.RequestCounter()
    app.state.local_actor = local_actor
    return app


def app_factory() -> Any:
    """For ``uvicorn --factory mspcrm.api.app:app_factory``: settings from the environment."""
    from mspcrm.config import load_settings

    return create_app(load_settings())
