"""Generic pages for every declared entity: the list (search, filters, keyset paging) and
the detail page (fields, references linked, related records, history)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.responses import Response

from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Boolean, Field, Flag
from mspcrm.errors import NotFoundError, ValidationError
from mspcrm.services.crm import Services
from mspcrm.services.records import Page
from mspcrm.services.web_accounts import WebSession
from mspcrm.web import lookups, render
from mspcrm.web.guard import PageCall

PAGE_SIZE = 50
SORT_NEWEST = "newest"
MAX_ID = 2**63 - 1
FILTER_PREFIX = "f."


def id_param(raw: str | None, name: str) -> int | None:
    if raw in (None, ""):
        return None
    assert raw is not None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError(f"{name} must be a record id, not {raw!r}")
    return int(raw)


def filter_fields(entity: Entity) -> list[Field]:
    """Filters a list offers: picklists, references and yes/no fields it lists or indexes."""
    names = [*entity.list_fields, *entity.indexed]
    if entity.parent is not None:
        names.append(entity.parent.field)
    picked: list[Field] = []
    for name in dict.fromkeys(names):
        f = entity.require(name)
        usable = f.picklist or f.reference or isinstance(f.kind, Boolean | Flag)
        if usable and f.queryable and f not in picked:
            picked.append(f)
    return picked


def search_condition(entity: Entity, text: str) -> dict[str, Any]:
    items = [{"op": "contains", "field": n, "value": text} for n in entity.search_fields]
    return {"op": "or", "items": items}


def list_document(entity: Entity, params: QueryParams) -> tuple[dict[str, Any], dict[str, str]]:
    """The query a list's parameters stand for, and the filters in force."""
    conditions: list[dict[str, Any]] = []
    text = params.get("q", "").strip()
    if text and entity.search_fields:
        conditions.append(search_condition(entity, text))
    active: dict[str, str] = {}
    for f in filter_fields(entity):
        raw = params.get(FILTER_PREFIX + f.name, "").strip()
        if raw:
            active[f.name] = raw
            conditions.append({"op": "eq", "field": f.name, "value": raw})
    if not conditions:
        conditions.append({"op": "exist", "field": "id"})
    return {"filter": conditions}, active


def filter_controls(
    services: Services, session: WebSession, entity: Entity, options: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each filter as a control: a select of choices, or an id box for large references."""
    controls = []
    for f in filter_fields(entity):
        choices: list[tuple[Any, str]] | None
        if f.picklist:
            choices = [(o.value, o.label) for o in options.get(f.name, []) if o.is_active]
        elif f.reference:
            choices = lookups.reference_choices(services, session, f)
        else:
            choices = [("true", "Yes"), ("false", "No")]
        controls.append({"field": f, "choices": choices})
    return controls


def pager_links(
    page: Page, base: str, *, newest: bool, first_page: bool
) -> tuple[str | None, str | None]:
    """(previous, next) links of a keyset-paged list, in id order or newest first."""
    joined = f"?{base}&" if base else "?"
    if not newest:
        prev = f"{joined}before={page.first_id}" if page.has_prev else None
        return prev, f"{joined}after={page.last_id}" if page.has_next else None
    newer = f"{joined}after={page.last_id}" if page.has_next and not first_page else None
    return newer, f"{joined}before={page.first_id}" if page.has_prev else None


def _list_context(call: PageCall, entity: Entity) -> dict[str, Any]:
    params = call.request.query_params
    document, active = list_document(entity, params)
    after = id_param(params.get("after"), "after")
    before = id_param(params.get("before"), "before")
    newest = params.get("sort") == SORT_NEWEST
    first_page = after is None and before is None
    if newest and first_page:
        before = MAX_ID  # the last page in id order, shown newest first
    services, session = call.services, call.session
    page = services.records.query(
        entity, document, after_id=after, before_id=before, page_size=PAGE_SIZE
    )
    items = page.items[::-1] if newest else page.items
    options = lookups.options(services, entity)
    columns = [entity.require(n) for n in entity.list_fields]
    keep = [(k, v) for k, v in params.multi_items() if k not in ("after", "before")]
    prev, following = pager_links(page, urlencode(keep), newest=newest, first_page=first_page)
    return {
        "entity": entity,
        "columns": columns,
        "items": items,
        "prev_link": prev,
        "next_link": following,
        "newest": newest,
        "options": options,
        "references": lookups.reference_titles(services, session, entity, columns, page.items),
        "filters": filter_controls(services, session, entity, options),
        "active": active,
        "q": params.get("q", ""),
        "duplicate_review": lookups.has_duplicate_profile(entity),
    }


async def list_page(call: PageCall) -> Response:
    assert call.entity is not None
    entity = call.entity
    context = await run_in_threadpool(_list_context, call, entity)
    return render.page(call.request, "records/list.html", context, session=call.session)


def record_id(call: PageCall) -> int:
    found = int(call.request.path_params["id"])
    if not 0 < found < 2**63:
        raise NotFoundError(f"No record with id {found}")
    return found


def load(services: Services, entity: Entity, rid: int) -> dict[str, Any]:
    item = services.records.get(entity, rid)
    if item is None:
        raise NotFoundError(f"No {entity.singular} with id {rid}")
    return item


def detail_context(call: PageCall, entity: Entity, rid: int) -> dict[str, Any]:
    services, session = call.services, call.session
    item = load(services, entity, rid)
    return {
        "entity": entity,
        "item": item,
        "fields": [f for f in entity.fields if f.name != "id"],
        "options": lookups.options(services, entity),
        "references": lookups.reference_titles(services, session, entity, entity.fields, [item]),
        "related": lookups.related_sections(services, session, entity, rid),
        "history": lookups.history(services, entity, rid),
        "registry": services.registry,
    }


async def detail_page(call: PageCall) -> Response:
    assert call.entity is not None
    entity, rid = call.entity, record_id(call)
    context = await run_in_threadpool(detail_context, call, entity, rid)
    return render.page(call.request, "records/detail.html", context, session=call.session)
