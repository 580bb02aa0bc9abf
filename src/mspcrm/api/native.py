"""The native extension API under ``/api/v1``: what Autotask lacks, kept out of /ATServicesRest.

Same credentials as the Autotask surface (the three headers); same error body.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mspcrm.api import guard
from mspcrm.api.credentials import caller
from mspcrm.api.responses import error_response, json_response, unexpected_response
from mspcrm.domain.entity import Entity
from mspcrm.errors import MspcrmError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services

Endpoint = Callable[[Request, Services, Actor], Awaitable[Any]]
MAX_BODY_BYTES = 2 * 1024 * 1024


async def read_json(request: Request) -> dict[str, Any]:
    settings = request.app.state.services.settings
    raw = await guard.read_body(request, settings.max_body_bytes)
    body = guard.parse_json(raw or b"{}", settings.max_json_depth)
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
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be an integer id, not {raw!r}") from None
    if not 0 <= value < 2**63:
        raise ValidationError(f"{name} {raw} is out of range for an id")
    return value


def query_int(request: Request, name: str) -> int | None:
    """An optional integer query parameter; absent or empty is None."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be an integer, not {raw!r}") from None
    if not -(2**63) <= value < 2**63:
        raise ValidationError(f"{name} {raw} is out of range")
    return value


def endpoint(
    fn: Endpoint,
    *,
    writes: bool = False,
    needs: tuple[str, ...] | None = None,
    entity_from: str = "",
) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, check the security level, count and limit, run, answer JSON or the error.

    ``needs``: the rights the caller needs (default read, or create/update/delete with
    ``writes``) on the entity named by the ``entity`` path parameter (``entity_from="path"``)
    or the body's ``entity`` (``"body"``); with neither, on every entity.
    """
    required = needs or (("create", "update", "delete") if writes else ("read",))

    async def handle(request: Request) -> Response:
        services: Services = request.app.state.services
        try:
            actor = await caller(request, services)
            target = await _target(request, services, entity_from)
            entities = [target] if target is not None else list(services.registry)
            await guard.permit(services, actor, entities, required)

            async def run() -> Response:
                return json_response(await fn(request, services, actor))

            return await guard.limited(request, services, f"api/v1/{fn.__name__}", run)
        except MspcrmError as exc:
            return error_response(exc, autotask=False)
        except Exception as exc:  # a real fault
            known = guard.translate(exc, services)
            if known is not None:
                return error_response(known, autotask=False)
            return unexpected_response(exc)

    return handle


async def _target(request: Request, services: Services, entity_from: str) -> Entity | None:
    if entity_from == "path":
        return services.registry.by_name(request.path_params["entity"])
    if entity_from == "body":
        name = (await read_json(request)).get("entity")
        if isinstance(name, str) and services.registry.by_path(name) is not None:
            return services.registry.by_path(name)
        with contextlib.suppress(MspcrmError):
            return services.registry.by_name(str(name))
    return None


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
    raw = request.query_params.get("limit", "10")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise ValidationError(f"limit must be an integer from 1 to 100, not {raw!r}")
    limit = int(raw)
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
        Route(
            "/api/v1/{entity}/duplicates/check",
            endpoint(duplicates_check, entity_from="path"),
            methods=["POST"],
        ),
        Route(
            "/api/v1/{entity}/duplicates/scan",
            endpoint(duplicates_scan, entity_from="path"),
            methods=["POST"],
        ),
        Route("/api/v1/merges/plan", endpoint(merge_plan, entity_from="body"), methods=["POST"]),
        Route(
            "/api/v1/merges",
            endpoint(merge_do, needs=("update", "delete"), entity_from="body"),
            methods=["POST"],
        ),
        Route("/api/v1/merges/{id}", endpoint(merge_get), methods=["GET"]),
        Route("/api/v1/merges/{id}/undo", endpoint(merge_undo, writes=True), methods=["POST"]),
        Route(
            "/api/v1/{entity}/{id}/history",
            endpoint(record_history, entity_from="path"),
            methods=["GET"],
        ),
    ]
