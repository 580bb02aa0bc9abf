"""Contact rules: one e-mail per company, one primary contact (an active one), a location of
the same company."""

from __future__ import annotations

from mspcrm.domain.duplicates.model import is_inactive
from mspcrm.domain.entities import COMPANY_LOCATION, CONTACT
from mspcrm.errors import ConflictError, ValidationError
from mspcrm.services.hooks import WriteContext, rule
from mspcrm.store import repository


@rule("Contact", "normalise", "create", "update")
def tidy_email(ctx: WriteContext) -> None:
    for name in ("emailAddress", "emailAddress2", "emailAddress3"):
        value = ctx.values.get(name)
        if isinstance(value, str):
            ctx.values[name] = value.strip()


@rule("Contact", "normalise", "create", "update")
def inactive_is_not_primary(ctx: WriteContext) -> None:
    """A contact set inactive stops being its company's primary contact (whatever path
    deactivates it: PATCH, PUT, an import row), as ``contacts deactivate`` does."""
    if "isActive" not in ctx.values and "primaryContact" not in ctx.values:
        return
    if is_inactive(ctx.final("isActive")) and ctx.final("primaryContact"):
        ctx.values["primaryContact"] = False


@rule("Contact", "before_write", "create", "update")
def one_email_per_company(ctx: WriteContext) -> None:
    if not ctx.service.duplicate_checks:
        return
    if not (ctx.changed("emailAddress") or ctx.changed("companyID")):
        return
    email, company = ctx.final("emailAddress"), ctx.final("companyID")
    if not email or company is None:
        return
    ctx.service.db.lock(ctx.conn, "Contact.emailAddress")
    clash = repository.find_ids(
        ctx.conn,
        CONTACT,
        {"companyID": company, "emailAddress": email},
        exclude_id=ctx.record_id,
        limit=1,
    )
    if clash:
        raise ConflictError(
            "Contact already exists",
            f"Email already exists: contact {clash[0]} at company {company} has {email}",
        )


@rule("Contact", "before_write", "create", "update")
def location_of_same_company(ctx: WriteContext) -> None:
    location_id = ctx.final("companyLocationID")
    if location_id is None or not (ctx.changed("companyLocationID") or ctx.changed("companyID")):
        return
    location = repository.get(ctx.conn, COMPANY_LOCATION, location_id)
    if location is not None and location["companyID"] != ctx.final("companyID"):
        raise ValidationError(
            f"companyLocationID {location_id} belongs to company {location['companyID']}, "
            f"not to company {ctx.final('companyID')}"
        )


@rule("Contact", "after_write", "create", "update")
def one_primary_contact(ctx: WriteContext) -> None:
    if ctx.values.get("primaryContact") is not True:
        return
    ctx.service.related_update(
        ctx.conn,
        CONTACT,
        {"companyID": ctx.final("companyID"), "primaryContact": True},
        {"primaryContact": False},
        ctx.actor,
        exclude_id=ctx.record_id,
    )
