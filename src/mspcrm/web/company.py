"""The company page: the generic detail plus what account managers look for first — the
company tree, contacts with their roles and the primary contact marked, sites with the
primary site marked. Other related records (deals, contracts, notes) stay generic."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION, CONTACT, CONTACT_ROLE
from mspcrm.services.crm import Services
from mspcrm.services.web_accounts import WebSession
from mspcrm.services.workflows import workflows_for
from mspcrm.web import lookups, render
from mspcrm.web.guard import PageCall
from mspcrm.web.records import detail_context, record_id

CONTACT_ROWS = 200  # a company page lists up to this many contacts, then links to the rest
OWN_SECTIONS = (CONTACT.name, COMPANY_LOCATION.name)


def _children(
    services: Services, entity: Any, field: str, company_id: int, size: int
) -> tuple[list[dict[str, Any]], bool]:
    document = {"filter": [{"op": "eq", "field": field, "value": company_id}]}
    page = services.records.query(entity, document, page_size=size)
    return page.items, page.has_next


def _roles(services: Services, company_id: int) -> dict[int, list[str]]:
    """Each contact's role labels at this company."""
    items, _ = _children(services, CONTACT_ROLE, "companyID", company_id, 500)
    labels = {o.value: o.label for o in lookups.options(services, CONTACT_ROLE).get("role", [])}
    roles: dict[int, list[str]] = {}
    for item in items:
        roles.setdefault(int(item["contactID"]), []).append(labels.get(item["role"], "role"))
    return roles


def company_context(services: Services, session: WebSession, call: PageCall, rid: int) -> Any:
    context = detail_context(call, COMPANY, rid)
    context["related"] = [r for r in context["related"] if r.entity.name not in OWN_SECTIONS]
    context["tree"] = workflows_for(services).hierarchy.tree(rid, max_depth=3)
    if lookups.may(services, session, CONTACT, "read"):
        contacts, more = _children(services, CONTACT, "companyID", rid, CONTACT_ROWS)
        contacts.sort(key=lambda c: (not c.get("primaryContact"), c.get("lastName") or ""))
        roles = (
            _roles(services, rid) if lookups.may(services, session, CONTACT_ROLE, "read") else {}
        )
        context.update(contacts=contacts, more_contacts=more, roles=roles)
    if lookups.may(services, session, COMPANY_LOCATION, "read"):
        sites, _ = _children(services, COMPANY_LOCATION, "companyID", rid, 100)
        sites.sort(key=lambda s: (not s.get("isPrimary"), s.get("name") or ""))
        context["sites"] = sites
    context.update(contact_entity=CONTACT, site_entity=COMPANY_LOCATION)
    return context


async def company_page(call: PageCall) -> Response:
    rid = record_id(call)
    context = await run_in_threadpool(company_context, call.services, call.session, call, rid)
    return render.page(call.request, "company.html", context, session=call.session)
