"""The native extension API under ``/api/v1``: what Autotask lacks, kept out of /ATServicesRest.

Same credentials as the Autotask surface (the three headers); same error body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mspcrm.api import guard
from mspcrm.api.access import PUBLIC, READ_ALL, WRITE_ALL, Access, Find, declare, with_referrers
from mspcrm.api.credentials import caller
from mspcrm.api.responses import error_response, json_response
from mspcrm.domain.entity import Entity
from mspcrm.errors import MspcrmError, NotFoundError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.imports import import_entity
from mspcrm.services.permissions import Right

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


def endpoint(fn: Endpoint, access: Access) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, check the declared rights, count and limit, run, answer JSON or the error.

    ``fn`` answers a value (sent as JSON) or a ``Response`` of its own (a streamed export:
    it holds its request slot until the stream ends).
    """

    async def handle(request: Request) -> Response:
        services: Services = request.app.state.services
        try:
            actor = await caller(request, services)
            await enforce(request, services, actor, access)

            async def run() -> Response:
                answer = await fn(request, services, actor)
                return answer if isinstance(answer, Response) else json_response(answer)

            return await guard.limited(request, services, f"api/v1/{fn.__name__}", run)
        except MspcrmError as exc:
            return error_response(exc, autotask=False)
        except Exception as exc:  # a real fault, or a client gone
            return guard.fault(request, exc, services, autotask=False)

    declare(handle, access)
    return handle


def public(
    fn: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """A route anyone may call (no credentials): declared as such."""
    declare(fn, PUBLIC)
    return fn


async def enforce(request: Request, services: Services, actor: Actor, access: Access) -> None:
    """The declaration's rights on the entities it names, before the handler runs."""
    needs = access.needs(dry_run=flag(request, "dryRun"))
    if not needs:
        return
    entities = await _targets(request, services, access.find)
    if access.referrers:
        entities = with_referrers(services.registry, entities)
    await guard.permit(services, actor, entities, needs)


def flag(request: Request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    return default if raw is None else raw.strip().lower() in ("1", "true", "yes")


async def _targets(request: Request, services: Services, find: Find) -> list[Entity]:
    if find is Find.PATH:
        return [entity_named(services, request.path_params["entity"])]
    if find is Find.BODY:
        return [entity_named(services, str((await read_json(request)).get("entity", "")))]
    if find is Find.ALL:
        return list(services.registry)
    raise ValueError(f"{find} names no entity of a native route")


def entity_named(services: Services, word: str) -> Entity:
    """An entity by name, path or import word (``companies``, ``locations``), any case."""
    found = services.registry.by_path(word)
    if found is not None:
        return found
    try:
        return services.registry.by_name(word)
    except NotFoundError:
        return import_entity(services.registry, word)


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


READ_PATH = Access((Right.READ,), Find.PATH)
# a merge plan shows the records that move to the kept one: read on every entity it touches
PLAN = Access((Right.READ,), Find.BODY, referrers=True)
MERGE = Access((Right.READ, Right.UPDATE, Right.DELETE), Find.BODY, referrers=True)


def routes() -> list[Route]:
    return [
        Route(
            "/api/v1/{entity}/duplicates/check",
            endpoint(duplicates_check, READ_PATH),
            methods=["POST"],
        ),
        Route(
            "/api/v1/{entity}/duplicates/scan",
            endpoint(duplicates_scan, READ_PATH),
            methods=["POST"],
        ),
        Route("/api/v1/merges/plan", endpoint(merge_plan, PLAN), methods=["POST"]),
        Route("/api/v1/merges", endpoint(merge_do, MERGE), methods=["POST"]),
        Route("/api/v1/merges/{id}", endpoint(merge_get, READ_ALL), methods=["GET"]),
        Route("/api/v1/merges/{id}/undo", endpoint(merge_undo, WRITE_ALL), methods=["POST"]),
        Route(
            "/api/v1/{entity}/{id}/history",
            endpoint(record_history, READ_PATH),
            methods=["GET"],
        ),
    ]
