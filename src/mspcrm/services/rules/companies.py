"""Company rules: tidy names, no duplicate names, no cycles, a primary location."""

from __future__ import annotations

import re

from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION
from mspcrm.domain.rules import ROOT_COMPANY_ID, protected_company_changes
from mspcrm.errors import PermissionDeniedError, ValidationError
from mspcrm.services.hooks import WriteContext, rule
from mspcrm.services.permissions import is_administrator
from mspcrm.store import repository

_SPACES = re.compile(r"\s+")
ADDRESS_TO_LOCATION = {
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "state": "state",
    "postalCode": "postalCode",
    "countryID": "countryID",
    "phone": "phone",
    "fax": "fax",
}
MAX_DEPTH = 100


@rule("Company", "normalise", "create", "update")
def tidy_company_name(ctx: WriteContext) -> None:
    name = ctx.values.get("companyName")
    if isinstance(name, str):
        ctx.values["companyName"] = _SPACES.sub(" ", name).strip()


@rule("Company", "before_write", "update")
def msp_company_protected(ctx: WriteContext) -> None:
    """Company 0 is the MSP itself: only an administrator level renames, retypes or
    deactivates it, whichever surface the write comes through (REST, native, CLI, agent)."""
    if ctx.record_id != ROOT_COMPANY_ID or is_administrator(ctx.actor.security_level):
        return
    touched = protected_company_changes(ctx.values, ctx.current)
    if touched:
        raise PermissionDeniedError(
            f"Company {ROOT_COMPANY_ID} is the MSP's own company: its {', '.join(touched)} "
            "can be changed only by an administrator security level (full)"
        )


@rule("Company", "before_write", "create", "update")
def no_duplicate_name(ctx: WriteContext) -> None:
    if not ctx.service.duplicate_checks or not ctx.changed("companyName"):
        return
    name = ctx.values["companyName"]
    if not name:
        return
    ctx.service.db.lock(ctx.conn, "Company.companyName")
    clash = repository.find_ids(
        ctx.conn, COMPANY, {"companyName": name}, exclude_id=ctx.record_id, limit=1
    )
    if clash:
        raise ValidationError(f"Duplicate company name: {name!r} is already company {clash[0]}")


@rule("Company", "before_write", "create", "update")
def no_cycle(ctx: WriteContext) -> None:
    parent = ctx.values.get("parentCompanyID")
    if parent is None or not ctx.changed("parentCompanyID"):
        return
    if ctx.record_id is not None and parent == ctx.record_id:
        raise ValidationError(f"parentCompanyID {parent}: a company cannot be its own parent")
    chain = [parent]
    current = repository.get(ctx.conn, COMPANY, parent)
    while current is not None and current.get("parentCompanyID") is not None:
        ancestor = current["parentCompanyID"]
        if ancestor == ctx.record_id or ancestor in chain or len(chain) > MAX_DEPTH:
            path = " -> ".join(str(i) for i in [ctx.record_id, *chain, ancestor])
            raise ValidationError(f"parentCompanyID {parent} would make a cycle: {path}")
        chain.append(ancestor)
        current = repository.get(ctx.conn, COMPANY, ancestor)


@rule("Company", "after_write", "create")
def primary_location_from_address(ctx: WriteContext) -> None:
    assert ctx.record_id is not None
    location = {
        target: ctx.values.get(source)
        for source, target in ADDRESS_TO_LOCATION.items()
        if ctx.values.get(source) is not None
    }
    location.update(
        {
            "companyID": ctx.record_id,
            "name": "Primary Location",
            "isActive": True,
            "isPrimary": True,
        }
    )
    ctx.service.related_insert(ctx.conn, COMPANY_LOCATION, location, ctx.actor)


@rule("Company", "after_write", "update")
def address_follows_to_primary_location(ctx: WriteContext) -> None:
    changes = {
        target: ctx.values[source]
        for source, target in ADDRESS_TO_LOCATION.items()
        if ctx.changed(source)
    }
    if changes:
        ctx.service.related_update(
            ctx.conn,
            COMPANY_LOCATION,
            {"companyID": ctx.record_id, "isPrimary": True},
            changes,
            ctx.actor,
        )
