"""ContactRole rules: the role's company follows its contact; one row per contact and role."""

from __future__ import annotations

from mspcrm.domain.entities import CONTACT, CONTACT_ROLE
from mspcrm.errors import ConflictError
from mspcrm.services.hooks import WriteContext, rule
from mspcrm.store import repository


@rule("ContactRole", "normalise", "create", "update")
def company_of_the_contact(ctx: WriteContext) -> None:
    contact_id = ctx.final("contactID")
    if contact_id is None or not (ctx.op == "create" or ctx.changed("contactID")):
        return
    contact = repository.get(ctx.conn, CONTACT, contact_id)
    if contact is not None:
        ctx.values["companyID"] = contact["companyID"]


@rule("ContactRole", "before_write", "create", "update")
def one_row_per_contact_and_role(ctx: WriteContext) -> None:
    if not (ctx.changed("contactID") or ctx.changed("role")):
        return
    contact_id, role = ctx.final("contactID"), ctx.final("role")
    clash = repository.find_ids(
        ctx.conn,
        CONTACT_ROLE,
        {"contactID": contact_id, "role": role},
        exclude_id=ctx.record_id,
        limit=1,
    )
    if clash:
        raise ConflictError(
            f"Contact {contact_id} already has role {role} (ContactRole {clash[0]})"
        )


@rule("Contact", "after_write", "update")
def roles_follow_the_contact(ctx: WriteContext) -> None:
    if ctx.changed("companyID"):
        ctx.service.related_update(
            ctx.conn,
            CONTACT_ROLE,
            {"contactID": ctx.record_id},
            {"companyID": ctx.values["companyID"]},
            ctx.actor,
        )


@rule("Contact", "before_write", "delete")
def roles_go_with_the_contact(ctx: WriteContext) -> None:
    assert ctx.record_id is not None
    ctx.service.related_delete(ctx.conn, CONTACT_ROLE, {"contactID": ctx.record_id}, ctx.actor)
