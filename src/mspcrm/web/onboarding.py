"""Onboarding a client from one form, over the onboarding service: the plan is shown first
(a dry run: every step, create or update, and the duplicate check), then confirmed with
the plan's fingerprint, so what is written is what was shown. The same right as
``POST /api/v1/onboarding``: create, update and delete on every entity."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION, CONTACT, OPPORTUNITY
from mspcrm.errors import ConflictError, ValidationError
from mspcrm.services.workflows import workflows_for
from mspcrm.web import lookups, render
from mspcrm.web.guard import PageCall, page

# the form's inputs: (name, label, section, field) — sections of the onboarding document
INPUTS = (
    ("companyName", "Company name", "company", "companyName"),
    ("companyType", "Company type", "company", "companyType"),
    ("phone", "Company phone", "company", "phone"),
    ("webAddress", "Web address", "company", "webAddress"),
    ("useExisting", "Or the id of an existing company", "", "useExisting"),
    ("firstName", "Contact first name", "contact", "firstName"),
    ("lastName", "Contact last name", "contact", "lastName"),
    ("emailAddress", "Contact e-mail", "contact", "emailAddress"),
    ("title", "Contact title", "contact", "title"),
    ("siteName", "Site name", "site", "name"),
    ("address1", "Site address", "site", "address1"),
    ("city", "Site city", "site", "city"),
)


def document_from(form: FormData) -> dict[str, Any]:
    """The onboarding document the form stands for (empty inputs left out)."""
    sections: dict[str, dict[str, Any]] = {"company": {}, "contact": {}, "site": {}}
    document: dict[str, Any] = {}
    for name, _, section, field in INPUTS:
        value = str(form.get(name) or "").strip()
        if not value:
            continue
        if section:
            sections[section][field] = value
        else:
            document[field] = value
    manager = str(form.get("accountManager") or "").strip()
    if manager:
        sections["company"]["accountManager"] = manager
    document.update(company=sections["company"], contact=sections["contact"])
    document["sites"] = [sections["site"]] if sections["site"] else []
    return document


def _form_context(call: PageCall, values: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    services, session = call.services, call.session
    return {
        "inputs": INPUTS,
        "values": values,
        "errors": errors,
        "types": lookups.options(services, COMPANY).get("companyType", []),
        "managers": lookups.reference_choices(
            services, session, OPPORTUNITY.require("ownerResourceID")
        )
        or [],
        "plan": None,
        "entities": {e.name: e for e in (COMPANY, CONTACT, COMPANY_LOCATION)},
    }


def _plan_or_apply(call: PageCall, confirm: bool) -> Any:
    assert call.form is not None
    document = document_from(call.form)
    onboarding = workflows_for(call.services).onboarding
    if not confirm:
        return onboarding.onboard(document, call.session.actor(), dry_run=True)
    expected = str(call.form.get("fingerprint") or "") or None
    return onboarding.onboard(document, call.session.actor(), expected_fingerprint=expected)


async def onboarding_page(call: PageCall) -> Response:
    """GET: the form; POST: the plan (dry run), or with ``confirm`` the onboarding."""
    values = {k: v for k, v in (call.form or {}).items() if isinstance(v, str)}
    if call.form is None:
        context = await run_in_threadpool(_form_context, call, values, [])
        return render.page(call.request, "onboarding.html", context, session=call.session)
    confirm = call.form.get("confirm") == "1"
    try:
        result = await run_in_threadpool(_plan_or_apply, call, confirm)
    except (ValidationError, ConflictError) as exc:
        context = await run_in_threadpool(_form_context, call, values, exc.errors)
        return render.page(
            call.request, "onboarding.html", context, session=call.session, status=400
        )
    if confirm:
        return RedirectResponse(f"/{COMPANY.command}/{result['companyID']}", status_code=303)
    context = await run_in_threadpool(_form_context, call, values, [])
    context["plan"] = result
    return render.page(call.request, "onboarding.html", context, session=call.session)


def routes() -> list[BaseRoute]:
    handler = page(onboarding_page, needs=("create", "update", "delete"), every_entity=True)
    return [Route("/onboarding", handler, methods=["GET", "POST"])]
