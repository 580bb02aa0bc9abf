"""Create and edit forms for every entity, through the same services (and so the same
validation and messages) as the API; each error shown on the field it names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Field
from mspcrm.errors import ValidationError
from mspcrm.web import lookups, render
from mspcrm.web.guard import PageCall
from mspcrm.web.presentation import (
    FormErrors,
    body_from_form,
    form_fields,
    initial_values,
    place_errors,
)
from mspcrm.web.records import load, record_id

NO_ERRORS = FormErrors({}, [])


def form_lists(form: FormData | None) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items() if form is not None else []:
        if isinstance(value, str):
            lists.setdefault(key, []).append(value)
    return lists


def _choices(call: PageCall, fields: list[Field]) -> dict[str, Any]:
    return {
        f.name: lookups.reference_choices(call.services, call.session, f)
        for f in fields
        if f.reference
    }


def _form_context(
    call: PageCall, entity: Entity, values: Mapping[str, Any], errors: FormErrors, rid: int | None
) -> dict[str, Any]:
    main, more = form_fields(entity)
    return {
        "entity": entity,
        "main": main,
        "more": more,
        "values": values,
        "errors": errors,
        "record_id": rid,
        "options": lookups.options(call.services, entity),
        "choices": _choices(call, [*main, *more]),
        "duplicate_check": rid is None and lookups.has_duplicate_profile(entity),
    }


def _show_form(
    call: PageCall, values: Mapping[str, Any], errors: FormErrors, rid: int | None, status: int
) -> Response:
    assert call.entity is not None
    context = _form_context(call, call.entity, values, errors, rid)
    return render.page(
        call.request, "records/form.html", context, session=call.session, status=status
    )


async def new_page(call: PageCall) -> Response:
    """GET: an empty form (query parameters prefill it); POST: create, or show the errors."""
    assert call.entity is not None
    entity = call.entity
    if call.form is None:
        prefill = {**initial_values(entity), **call.request.query_params}
        return await run_in_threadpool(_show_form, call, prefill, NO_ERRORS, None, 200)
    main, more = form_fields(entity)
    lists = form_lists(call.form)
    body = body_from_form([*main, *more], lists, creating=True)
    try:
        rid = await run_in_threadpool(
            call.services.records.create, entity, body, call.session.actor()
        )
    except ValidationError as exc:
        values = {k: v[-1] for k, v in lists.items()}
        errors = place_errors(entity, exc.errors)
        return await run_in_threadpool(_show_form, call, values, errors, None, 400)
    return RedirectResponse(f"/{entity.command}/{rid}", status_code=303)


async def edit_page(call: PageCall) -> Response:
    """GET: the form with the record's values; POST: update, or show the errors."""
    assert call.entity is not None
    entity, rid = call.entity, record_id(call)
    if call.form is None:
        item = await run_in_threadpool(load, call.services, entity, rid)
        return await run_in_threadpool(_show_form, call, item, NO_ERRORS, rid, 200)
    main, more = form_fields(entity)
    lists = form_lists(call.form)
    body = body_from_form([*main, *more], lists, creating=False)
    try:
        await run_in_threadpool(
            lambda: call.services.records.update(entity, body, call.session.actor(), record_id=rid)
        )
    except ValidationError as exc:
        values = {k: v[-1] for k, v in lists.items()}
        errors = place_errors(entity, exc.errors)
        return await run_in_threadpool(_show_form, call, values, errors, rid, 400)
    return RedirectResponse(f"/{entity.command}/{rid}", status_code=303)


async def delete_action(call: PageCall) -> Response:
    assert call.entity is not None
    entity, rid = call.entity, record_id(call)
    await run_in_threadpool(call.services.records.delete, entity, rid, call.session.actor())
    return RedirectResponse(f"/{entity.command}", status_code=303)


async def duplicate_warning(call: PageCall) -> Response:
    """htmx, while a new record is typed: the scored candidates it may duplicate."""
    assert call.entity is not None
    entity = call.entity
    main, more = form_fields(entity)
    body = body_from_form([*main, *more], form_lists(call.form), creating=True)
    try:
        report = await run_in_threadpool(
            lambda: call.services.duplicates.report(entity.name, body, limit=5)
        )
        matches = report["matches"]
    except ValidationError:
        matches = []
    return render.page(
        call.request,
        "records/_duplicates.html",
        {"entity": entity, "matches": matches},
        session=call.session,
    )
