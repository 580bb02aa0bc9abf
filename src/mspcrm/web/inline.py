"""Inline edit on a detail page (htmx): one field's input in place, saved through the
same update service as the edit form, its error shown under it."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Field
from mspcrm.errors import NotFoundError, ValidationError
from mspcrm.web import lookups, render
from mspcrm.web.forms import NO_ERRORS, form_lists
from mspcrm.web.guard import PageCall
from mspcrm.web.presentation import FormErrors, body_from_form, place_errors
from mspcrm.web.records import load, record_id


def writable_field(entity: Entity, name: str) -> Field:
    found = entity.field(name)
    if found is None or found.read_only:
        raise NotFoundError(f"{entity.singular} has no editable field {name!r}")
    return found


def _fragment(
    call: PageCall,
    entity: Entity,
    f: Field,
    item: dict[str, Any],
    *,
    editing: bool,
    values: dict[str, Any] | None = None,
    errors: FormErrors = NO_ERRORS,
    saved: bool = False,
    status: int = 200,
) -> Response:
    services, session = call.services, call.session
    context = {
        "entity": entity,
        "field": f,
        "item": item,
        "editing": editing,
        "values": values if values is not None else item,
        "errors": errors,
        "saved": saved,
        "options": lookups.options(services, entity),
        "choices": {f.name: lookups.reference_choices(services, session, f)} if f.reference else {},
        "references": lookups.reference_titles(services, session, entity, [f], [item]),
        "registry": services.registry,
    }
    return render.page(
        call.request, "records/_inline.html", context, session=session, status=status
    )


def _show(call: PageCall) -> Response:
    assert call.entity is not None
    entity, rid = call.entity, record_id(call)
    f = writable_field(entity, call.request.path_params["field"])
    item = load(call.services, entity, rid)
    editing = call.request.query_params.get("view") != "1"
    return _fragment(call, entity, f, item, editing=editing)


def _save(call: PageCall) -> Response:
    assert call.entity is not None
    entity, rid = call.entity, record_id(call)
    f = writable_field(entity, call.request.path_params["field"])
    lists = form_lists(call.form)
    body = body_from_form([f], lists, creating=False)
    try:
        call.services.records.update(entity, body, call.session.actor(), record_id=rid)
    except ValidationError as exc:
        item = load(call.services, entity, rid)
        values = {f.name: (lists.get(f.name) or [""])[-1]}
        errors = place_errors(entity, exc.errors)
        if not errors.by_field:
            errors = FormErrors({f.name: errors.general}, [])
        return _fragment(call, entity, f, item, editing=True, values=values, errors=errors)
    item = load(call.services, entity, rid)
    return _fragment(call, entity, f, item, editing=False, saved=True)


async def inline_field(call: PageCall) -> Response:
    if call.form is None:
        return await run_in_threadpool(_show, call)
    return await run_in_threadpool(_save, call)
