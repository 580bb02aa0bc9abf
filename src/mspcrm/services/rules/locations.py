"""Location rules: exactly one primary location per company, never none."""

from __future__ import annotations

from mspcrm.domain.entities import COMPANY_LOCATION
from mspcrm.errors import ConflictError
from mspcrm.services.hooks import WriteContext, rule
from mspcrm.store import repository


@rule("CompanyLocation", "normalise", "create")
def first_location_is_primary(ctx: WriteContext) -> None:
    company = ctx.values.get("companyID")
    if company is None or ctx.values.get("isPrimary"):
        return
    primary = repository.find_ids(
        ctx.conn, COMPANY_LOCATION, {"companyID": company, "isPrimary": True}, limit=1
    )
    if not primary:
        ctx.values["isPrimary"] = True


@rule("CompanyLocation", "normalise", "update")
def keep_a_primary(ctx: WriteContext) -> None:
    if not (ctx.current and ctx.current.get("isPrimary") and "isPrimary" in ctx.values):
        return
    if ctx.values["isPrimary"] is None:  # a PUT that left the flag out keeps it
        ctx.values["isPrimary"] = True
    if ctx.values["isPrimary"] is False:
        raise ConflictError(
            f"Location {ctx.record_id} is the primary location of company "
            f"{ctx.current['companyID']}: make another location primary instead"
        )


@rule("CompanyLocation", "before_write", "delete")
def keep_primary_on_delete(ctx: WriteContext) -> None:
    assert ctx.current is not None
    if ctx.current.get("isPrimary"):
        raise ConflictError(
            f"Location {ctx.record_id} is the primary location of company "
            f"{ctx.current['companyID']}: make another location primary before deleting it"
        )


@rule("CompanyLocation", "after_write", "create", "update")
def one_primary_location(ctx: WriteContext) -> None:
    if ctx.values.get("isPrimary") is not True:
        return
    ctx.service.related_update(
        ctx.conn,
        COMPANY_LOCATION,
        {"companyID": ctx.final("companyID"), "isPrimary": True},
        {"isPrimary": False},
        ctx.actor,
        exclude_id=ctx.record_id,
    )
