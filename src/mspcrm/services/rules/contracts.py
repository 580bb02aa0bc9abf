"""Contract rules: dates in order, one default contract per company."""

from __future__ import annotations

from mspcrm.domain.entities import CONTRACT
from mspcrm.errors import ValidationError
from mspcrm.services.hooks import WriteContext, rule


@rule("Contract", "before_write", "create", "update")
def end_after_start(ctx: WriteContext) -> None:
    start, end = ctx.final("startDate"), ctx.final("endDate")
    if start is not None and end is not None and end < start:
        raise ValidationError(
            f"Invalid endDate: {end:%Y-%m-%d} is before the startDate {start:%Y-%m-%d}"
        )


@rule("Contract", "after_write", "create", "update")
def one_default_contract(ctx: WriteContext) -> None:
    if ctx.values.get("isDefaultContract") is not True:
        return
    ctx.service.related_update(
        ctx.conn,
        CONTRACT,
        {"companyID": ctx.final("companyID"), "isDefaultContract": True},
        {"isDefaultContract": False},
        ctx.actor,
        exclude_id=ctx.record_id,
    )
