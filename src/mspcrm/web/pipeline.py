"""The pipeline board: opportunities by stage, with count, amount and weighted amount per
column; a card moves by drag and drop or with its keyboard-operable move buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from mspcrm.domain.entities import COMPANY, OPPORTUNITY, RESOURCE
from mspcrm.domain.entity import Registry
from mspcrm.errors import ValidationError
from mspcrm.web import lookups, render
from mspcrm.web.guard import PageCall, page
from mspcrm.web.records import id_param

BOARD_LIMIT = 500


@dataclass
class Column:
    value: int
    label: str
    cards: list[dict[str, Any]] = field(default_factory=list)

    @property
    def amount(self) -> float:
        return sum(float(c.get("amount") or 0) for c in self.cards)

    @property
    def weighted(self) -> float:
        return sum(
            float(c.get("amount") or 0) * float(c.get("probability") or 0) / 100 for c in self.cards
        )


def board_document(params: Any) -> tuple[dict[str, Any], dict[str, str]]:
    conditions: list[dict[str, Any]] = [{"op": "exist", "field": "id"}]
    chosen = {k: params.get(k, "").strip() for k in ("owner", "from", "to")}
    if chosen["owner"]:
        conditions.append({"op": "eq", "field": "ownerResourceID", "value": chosen["owner"]})
    if chosen["from"]:
        conditions.append({"op": "gte", "field": "projectedCloseDate", "value": chosen["from"]})
    if chosen["to"]:
        conditions.append({"op": "lte", "field": "projectedCloseDate", "value": chosen["to"]})
    return {"filter": conditions}, chosen


def _board_context(call: PageCall) -> dict[str, Any]:
    services, session = call.services, call.session
    document, chosen = board_document(call.request.query_params)
    found = services.records.query(OPPORTUNITY, document, page_size=BOARD_LIMIT)
    stages = lookups.options(services, OPPORTUNITY).get("stage", [])
    columns = [Column(o.value, o.label) for o in stages if o.is_active]
    by_value = {c.value: c for c in columns}
    for item in found.items:
        column = by_value.get(int(item.get("stage") or 0))
        if column is not None:
            column.cards.append(item)
    company_field = OPPORTUNITY.require("companyID")
    refs = lookups.reference_titles(services, session, OPPORTUNITY, [company_field], found.items)
    owners = lookups.reference_choices(services, session, OPPORTUNITY.require("ownerResourceID"))
    return {
        "columns": columns,
        "companies": refs.get("companyID", {}),
        "owners": owners or [],
        "chosen": chosen,
        "truncated": found.has_next,
        "query": urlencode({k: v for k, v in chosen.items() if v}),
        "opportunity": OPPORTUNITY,
        "company": COMPANY,
        "resource": RESOURCE,
    }


async def board(call: PageCall) -> Response:
    context = await run_in_threadpool(_board_context, call)
    template = "pipeline_board.html" if call.request.headers.get("hx-request") else "pipeline.html"
    return render.page(call.request, template, context, session=call.session)


async def move(call: PageCall) -> Response:
    """Change one opportunity's stage (the same update service as every other write)."""
    form = call.form
    assert form is not None
    rid = id_param(str(form.get("id") or ""), "id")
    stage = str(form.get("stage") or "").strip()
    if rid is None or not stage:
        raise ValidationError("id and stage are required to move an opportunity")
    body = {"stage": stage}
    await run_in_threadpool(
        lambda: call.services.records.update(OPPORTUNITY, body, call.session.actor(), record_id=rid)
    )
    back = _back(call.request)
    if call.request.headers.get("hx-request"):
        call.request.scope["query_string"] = back.partition("?")[2].encode()
        return await board(call)
    return RedirectResponse(back, status_code=303)


def _back(request: Request) -> str:
    query = request.query_params
    kept = urlencode({k: query[k] for k in ("owner", "from", "to") if query.get(k)})
    return "/pipeline" + (f"?{kept}" if kept else "")


def routes(registry: Registry) -> list[BaseRoute]:
    entity = registry.by_name(OPPORTUNITY.name)
    return [
        Route("/pipeline", page(board, need="read", entity=entity), methods=["GET"]),
        Route("/pipeline/move", page(move, need="update", entity=entity), methods=["POST"]),
    ]
