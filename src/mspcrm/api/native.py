"""The native extension API under ``/api/v1``: what Autotask lacks, kept out of /ATServicesRest.

Same credentials as the Autotask surface (the three headers); same error body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mspcrm.api.responses import error_response, json_response, unexpected_response
from mspcrm.errors import MspcrmError, PermissionDeniedError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services

Endpoint = Callable[[Request, Services, Actor], Awaitable[Any]]
MAX_BODY_BYTES = 2 * 1024 * 1024


async def read_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ValidationError(f"The request body is over {MAX_BODY_BYTES} bytes")
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object")
    return body


def int_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"{name} is required and must be an integer id")
    try:
        return int(value)
    except ValueError:
        raise ValidationError(f"{name} must be an integer id, not {value!r}") from None


def path_int(request: Request, name: str) -> int:
    raw = request.path_params[name]
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be an integer id, not {raw!r}") from None


def _actor(request: Request, services: Services) -> Actor:
    headers = request.headers
    local: Actor | None = request.app.state.local_actor
    if local is not None:
        return local  # in-process use only (see create_app)
    actor = services.auth.actor(
        username=headers.get("username", "").strip(),
        secret=headers.get("secret", ""),
        integration_code=headers.get("apiintegrationcode", "").strip(),
        impersonate=headers.get("impersonationresourceid", "").strip() or None,
    )
    return actor


def endpoint(fn: Endpoint, *, writes: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, run, and answer JSON or the one error body."""

    async def handle(request: Request) -> Response:
        services: Services = request.app.state.services
        try:
            actor = await run_in_threadpool(_actor, request, services)
            if writes and actor.security_level == "read-only":
                raise PermissionDeniedError("A read-only API user cannot change data")
            return json_response(await fn(request, services, actor))
        except MspcrmError as exc:
            return error_response(exc, autotask=False)
        except Exception as exc:  # a real fault
            return unexpected_response(exc)

    return handle


# ---- history ------------------------------------------------------------------------------
async def record_history(request: Request, services: Services, actor: Actor) -> Any:
    entity = services.registry.by_name(request.path_params["entity"])
    record_id = path_int(request, "id")
    entries = await run_in_threadpool(services.records.record_history, entity, record_id)
    return {"entity": entity.name, "id": record_id, "history": entries}


# ---- merges -------------------------------------------------------------------------------
async def merge_plan(request: Request, services: Services, actor: Actor) -> Any:
    body = await read_json(request)
    plan = await run_in_threadpool(
        services.merges.plan,
        str(body.get("entity", "")),
        int_field(body, "keepID"),
        int_field(body, "otherID"),
    )
    return plan.to_wire()


async def merge_do(request: Request, services: Services, actor: Actor) -> Any:
    body = await read_json(request)
    entity = str(body.get("entity", ""))
    keep, other = int_field(body, "keepID"), int_field(body, "otherID")
    fingerprint = body.get("fingerprint")
    if body.get("dryRun"):
        plan = await run_in_threadpool(services.merges.plan, entity, keep, other)
        return {"mergeID": None, "dryRun": True, "plan": plan.to_wire()}
    merge_id, done = await run_in_threadpool(
        lambda: services.merges.merge(entity, keep, other, actor, fingerprint=fingerprint)
    )
    return {"mergeID": merge_id, "dryRun": False, "plan": done.to_wire()}


async def merge_get(request: Request, services: Services, actor: Actor) -> Any:
    return await run_in_threadpool(services.merges.get, path_int(request, "id"))


async def merge_undo(request: Request, services: Services, actor: Actor) -> Any:
    return await run_in_threadpool(services.merges.undo, path_int(request, "id"), actor)


# ---- duplicates ---------------------------------------------------------------------------
async def duplicates_check(request: Request, services: Services, actor: Actor) -> Any:
    body = await read_json(request)
    entity = request.path_params["entity"]
    limit = int(request.query_params.get("limit", "10"))
    return await run_in_threadpool(lambda: services.duplicates.report(entity, body, limit=limit))


async def duplicates_scan(request: Request, services: Services, actor: Actor) -> Any:
    body = await read_json(request)
    entity = request.path_params["entity"]
    ambiguous = bool(body.get("includeAmbiguous", False))
    return await run_in_threadpool(
        lambda: services.duplicates.scan_report(entity, include_ambiguous=ambiguous)
    )


def routes() -> list[Route]:
    return [
        Route("/api/v1/{entity}/duplicates/check", endpoint(duplicates_check), methods=["POST"]),
        Route("/api/v1/{entity}/duplicates/scan", endpoint(duplicates_scan), methods=["POST"]),
        Route("/api/v1/merges/plan", endpoint(merge_plan), methods=["POST"]),
        Route("/api/v1/merges", endpoint(merge_do, writes=True), methods=["POST"]),
        Route("/api/v1/merges/{id}", endpoint(merge_get), methods=["GET"]),
        Route("/api/v1/merges/{id}/undo", endpoint(merge_undo, writes=True), methods=["POST"]),
        Route("/api/v1/{entity}/{id}/history", endpoint(record_history), methods=["GET"]),
    ]
