"""The MSP workflows in the native API (``/api/v1``): onboarding, contact lifecycle and
roles, account transfer, hierarchy, audit and reports.

Entity segments match in any letter case (``/api/v1/companies/5/tree`` works too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from mspcrm.api.access import AUTHENTICATED, READ_ALL, WRITE_ALL, Access
from mspcrm.api.native import endpoint, int_field, path_int, query_int, read_json
from mspcrm.domain.onboarding_template import TEMPLATE
from mspcrm.errors import NotFoundError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.workflows import Workflows, workflows_for


def _on(request: Request, path: str) -> None:
    if request.path_params["entity"].lower() != path.lower():
        raise NotFoundError(f"No route for {request.url.path}")


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


async def _run(services: Services, fn: Callable[[Workflows], Any]) -> Any:
    return await run_in_threadpool(lambda: fn(workflows_for(services)))


# ---- onboarding ---------------------------------------------------------------------------
async def onboard(request: Request, services: Services, actor: Actor) -> Any:
    body = await read_json(request)
    document = body.get("document")
    fingerprint = body.get("fingerprint")
    return await _run(
        services,
        lambda w: w.onboarding.onboard(
            document,
            actor,
            dry_run=_flag(body.get("dryRun", False)),
            expected_fingerprint=str(fingerprint) if fingerprint else None,
        ),
    )


async def onboarding_template(request: Request, services: Services, actor: Actor) -> Any:
    return {"format": "yaml", "template": TEMPLATE}


# ---- contacts -----------------------------------------------------------------------------
async def contact_deactivate(request: Request, services: Services, actor: Actor) -> Any:
    _on(request, "Contacts")
    body = await read_json(request)
    successor = None if body.get("successorID") is None else int_field(body, "successorID")
    force = _flag(body.get("force", False))
    contact = path_int(request, "id")
    return await _run(
        services,
        lambda w: w.contacts.deactivate(contact, actor, successor_id=successor, force=force),
    )


async def contact_move(request: Request, services: Services, actor: Actor) -> Any:
    _on(request, "Contacts")
    body = await read_json(request)
    contact, company = path_int(request, "id"), int_field(body, "companyID")
    return await _run(services, lambda w: w.contacts.move(contact, company, actor))


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name) or []
    if not isinstance(value, list):
        raise ValidationError(f"{name} must be a list of roles (labels or values)")
    return value


async def contact_roles(request: Request, services: Services, actor: Actor) -> Any:
    _on(request, "Contacts")
    body = await read_json(request)
    contact = path_int(request, "id")
    add, remove = _list(body, "add"), _list(body, "remove")
    title = body.get("title")
    return await _run(
        services,
        lambda w: w.contacts.update_roles(
            contact, actor, add=add, remove=remove, title=None if title is None else str(title)
        ),
    )


async def company_contacts(request: Request, services: Services, actor: Actor) -> Any:
    _on(request, "Companies")
    company = path_int(request, "id")
    active = _flag(request.query_params.get("activeOnly", "false"))
    return await _run(services, lambda w: w.contacts.company_contacts(company, active_only=active))


# ---- account transfer ---------------------------------------------------------------------
async def transfer(request: Request, services: Services, actor: Actor) -> Any:
    _on(request, "Companies")
    body = await read_json(request)
    source, target = int_field(body, "fromResourceID"), int_field(body, "toResourceID")
    return await _run(
        services,
        lambda w: w.transfer.transfer(
            source,
            target,
            actor,
            filter=body.get("filter") or [],
            opportunities=_flag(body.get("opportunities", False)),
            dry_run=_flag(body.get("dryRun", False)),
        ),
    )


# ---- hierarchy ----------------------------------------------------------------------------
async def company_tree(request: Request, services: Services, actor: Actor) -> Any:
    _on(request, "Companies")
    company, depth = path_int(request, "id"), query_int(request, "maxDepth")
    if depth is None:
        return await _run(services, lambda w: w.hierarchy.tree(company))
    return await _run(services, lambda w: w.hierarchy.tree(company, max_depth=depth))


async def company_descendants(request: Request, services: Services, actor: Actor) -> Any:
    _on(request, "Companies")
    company, depth = path_int(request, "id"), query_int(request, "maxDepth")
    if depth is None:
        return await _run(services, lambda w: w.hierarchy.descendants(company))
    return await _run(services, lambda w: w.hierarchy.descendants(company, max_depth=depth))


async def company_rollup(request: Request, services: Services, actor: Actor) -> Any:
    _on(request, "Companies")
    company = path_int(request, "id")
    return await _run(services, lambda w: w.hierarchy.rollup(company))


# ---- audit and reports --------------------------------------------------------------------
async def audit(request: Request, services: Services, actor: Actor) -> Any:
    raw = request.query_params.get("rules", "")
    rules = [r.strip() for r in raw.split(",") if r.strip()] or None
    duplicates = _flag(request.query_params.get("duplicates", "true"))
    return await _run(services, lambda w: w.audit.run(rules=rules, duplicates=duplicates))


async def report(request: Request, services: Services, actor: Actor) -> Any:
    name = request.path_params["report"].lower()
    by = request.query_params.get("by", "type" if name == "companies" else "stage")
    rollup = query_int(request, "rollup")
    if name == "companies":
        return await _run(services, lambda w: w.reports.companies(by, rollup=rollup))
    if name == "pipeline":
        return await _run(services, lambda w: w.reports.pipeline(by, rollup=rollup))
    raise NotFoundError(f"No report named {name!r}: use companies or pipeline")


def routes() -> list[Route]:
    """Workflows change or read records of several entities: they need the rights on every
    entity (``WRITE_ALL``, ``READ_ALL``)."""

    def post(path: str, fn: Any) -> Route:
        return Route(path, endpoint(fn, WRITE_ALL), methods=["POST"])

    def get(path: str, fn: Any, access: Access = READ_ALL) -> Route:
        return Route(path, endpoint(fn, access), methods=["GET"])

    return [
        post("/api/v1/onboarding", onboard),
        get("/api/v1/onboarding/template", onboarding_template, AUTHENTICATED),
        post("/api/v1/{entity}/transfer", transfer),
        post("/api/v1/{entity}/{id}/deactivate", contact_deactivate),
        post("/api/v1/{entity}/{id}/move", contact_move),
        post("/api/v1/{entity}/{id}/roles", contact_roles),
        get("/api/v1/{entity}/{id}/contacts", company_contacts),
        get("/api/v1/{entity}/{id}/tree", company_tree),
        get("/api/v1/{entity}/{id}/descendants", company_descendants),
        get("/api/v1/{entity}/{id}/rollup", company_rollup),
        get("/api/v1/audit", audit),
        get("/api/v1/reports/{report}", report),
    ]
