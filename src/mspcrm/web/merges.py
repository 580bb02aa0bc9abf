"""Duplicate review: the scanner's clusters, two records side by side with the merge plan,
a choice per field, the merge (the same merge service as the API), and undo from the log.

A field where the user picks the other record's value is written to the kept record with
the ordinary update (its own history entry) just before the merge; undoing the merge
restores what the merge changed, as the API's undo does.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from mspcrm.domain.entity import Entity, Registry
from mspcrm.errors import NotFoundError, ValidationError
from mspcrm.web import lookups, render
from mspcrm.web.guard import PageCall, page
from mspcrm.web.records import load

CHOICE_PREFIX = "take."


def _pair(call: PageCall) -> tuple[int, int]:
    keep, other = int(call.request.path_params["keep"]), int(call.request.path_params["other"])
    if keep == other or not (0 < keep < 2**63 and 0 < other < 2**63):
        raise ValidationError("Pick two different records to compare")
    return keep, other


async def review(call: PageCall) -> Response:
    assert call.entity is not None
    entity = call.entity
    report = await run_in_threadpool(call.services.duplicates.scan_report, entity.name)
    context = {"entity": entity, "clusters": report["clusters"]}
    return render.page(call.request, "duplicates.html", context, session=call.session)


def differing_fields(entity: Entity, keep: dict[str, Any], other: dict[str, Any]) -> list[Any]:
    """Writable fields where the two records hold different, non-empty values on the other."""
    return [
        f
        for f in entity.writable_fields
        if other.get(f.name) not in (None, "") and keep.get(f.name) != other.get(f.name)
    ]


def _compare_context(call: PageCall, entity: Entity, keep_id: int, other_id: int) -> Any:
    services = call.services
    keep, other = load(services, entity, keep_id), load(services, entity, other_id)
    plan = services.merges.plan(entity.name, keep_id, other_id).to_wire()
    fields = [f for f in entity.fields if keep.get(f.name) or other.get(f.name)]
    return {
        "entity": entity,
        "keep": keep,
        "other": other,
        "fields": fields,
        "choosable": {f.name for f in differing_fields(entity, keep, other) if keep.get(f.name)},
        "plan": plan,
        "options": lookups.options(services, entity),
        "registry": services.registry,
    }


async def compare(call: PageCall) -> Response:
    assert call.entity is not None
    keep, other = _pair(call)
    context = await run_in_threadpool(_compare_context, call, call.entity, keep, other)
    return render.page(call.request, "merge_compare.html", context, session=call.session)


def _merge(call: PageCall, entity: Entity, keep_id: int, other_id: int) -> int:
    assert call.form is not None
    services, actor = call.services, call.session.actor()
    keep, other = load(services, entity, keep_id), load(services, entity, other_id)
    taken = {
        f.name: other[f.name]
        for f in differing_fields(entity, keep, other)
        if call.form.get(CHOICE_PREFIX + f.name) == "other"
    }
    fingerprint = str(call.form.get("fingerprint") or "") or None
    if taken:
        services.records.update(entity, taken, actor, record_id=keep_id)
        fingerprint = None  # the plan changes with the chosen values
    merge_id, _ = services.merges.merge(
        entity.name, keep_id, other_id, actor, fingerprint=fingerprint
    )
    return merge_id


async def merge(call: PageCall) -> Response:
    assert call.entity is not None
    keep, other = _pair(call)
    merge_id = await run_in_threadpool(_merge, call, call.entity, keep, other)
    return RedirectResponse(f"/merges/{merge_id}", status_code=303)


def _merge_context(call: PageCall, merge_id: int) -> dict[str, Any]:
    services = call.services
    done = services.merges.get(merge_id)
    entity = services.registry.by_name(done["entity"])
    if not lookups.may(services, call.session, entity, "read"):
        raise NotFoundError(f"Merge not found: no merge with id {merge_id}")
    titles = lookups.titles_by_id(services, entity, [done["keepID"], done["otherID"]])
    return {"merge": done, "entity": entity, "titles": titles, "registry": services.registry}


def _merge_id(request: Request) -> int:
    found = int(request.path_params["id"])
    if not 0 < found < 2**63:
        raise NotFoundError(f"Merge not found: no merge with id {found}")
    return found


async def merge_page(call: PageCall) -> Response:
    context = await run_in_threadpool(_merge_context, call, _merge_id(call.request))
    return render.page(call.request, "merge_done.html", context, session=call.session)


async def undo(call: PageCall) -> Response:
    merge_id = _merge_id(call.request)
    await run_in_threadpool(call.services.merges.undo, merge_id, call.session.actor())
    return RedirectResponse(f"/merges/{merge_id}", status_code=303)


def routes(registry: Registry) -> list[BaseRoute]:
    found: list[BaseRoute] = [
        Route("/merges/{id:int}", page(merge_page), methods=["GET"]),
        Route(
            "/merges/{id:int}/undo",
            page(undo, needs=("create", "update", "delete"), every_entity=True),
            methods=["POST"],
        ),
    ]
    for entity in registry:
        if not lookups.has_duplicate_profile(entity):
            continue
        base = f"/{entity.command}/duplicates"
        pair = f"{base}/{{keep:int}}/{{other:int}}"
        found += [
            Route(base, page(review, entity=entity), methods=["GET"]),
            Route(pair, page(compare, entity=entity), methods=["GET"]),
            Route(
                f"{pair}/merge",
                page(merge, needs=("update", "delete"), entity=entity),
                methods=["POST"],
            ),
        ]
    return found
