"""Contact lifecycle over the port: deactivate (with a successor), move to another company,
roles and title, and a company's people with their roles.

Every change is an ordinary write (PATCH, POST, DELETE), validated by the same rules as
any other and recorded in the history where the target keeps one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mspcrm.domain.entities import COMPANY, CONTACT, CONTACT_ROLE
from mspcrm.errors import ConflictError, ValidationError
from mspcrm.workflows.port import Port, Record, eq, require

ROLE_FIELDS = ("contactID", "companyID", "role", "notes")


def _successor(port: Port, contact: Record, successor_id: int | None) -> Record | None:
    if successor_id is None:
        return None
    if successor_id == contact["id"]:
        raise ValidationError("successor: a contact cannot succeed itself")
    successor = require(port, CONTACT, successor_id, "Successor")
    if successor["companyID"] != contact["companyID"]:
        raise ValidationError(
            f"successor: contact {successor_id} is at company {successor['companyID']}, "
            f"not at company {contact['companyID']}"
        )
    if not successor.get("isActive"):
        raise ValidationError(f"successor: contact {successor_id} is inactive")
    return successor


def deactivate(
    port: Port, contact_id: int, *, successor_id: int | None = None, force: bool = False
) -> dict[str, Any]:
    """Mark inactive and clear primary; a successor takes over primary and the roles."""
    contact = require(port, CONTACT, contact_id)
    successor = _successor(port, contact, successor_id)
    was_primary = bool(contact.get("primaryContact"))
    if was_primary and successor is None and not force:
        raise ConflictError(
            f"Contact {contact_id} is the primary contact of company "
            f"{contact['companyID']}: name a successor (--successor ID) or use --force"
        )
    company = contact["companyID"]
    body = {"isActive": 0, "primaryContact": False}
    port.update(CONTACT.path, contact_id, body, parent_id=company)
    handed: list[int] = []
    if successor is not None:
        if was_primary:
            port.update(CONTACT.path, successor["id"], {"primaryContact": True}, parent_id=company)
        handed = _hand_over_roles(port, contact_id, successor["id"])
    return {
        "contactID": contact_id,
        "isActive": False,
        "wasPrimary": was_primary,
        "successorID": None if successor is None else successor["id"],
        "primaryHandedOver": was_primary and successor is not None,
        "rolesHandedOver": handed,
        "companyHasPrimary": successor is not None or not was_primary,
    }


def roles_of(port: Port, contact_id: int) -> list[Record]:
    return list(port.query(CONTACT_ROLE.path, [eq("contactID", contact_id)], fields=ROLE_FIELDS))


def _hand_over_roles(port: Port, from_id: int, to_id: int) -> list[int]:
    held = {r["role"] for r in roles_of(port, to_id)}
    handed = []
    for role in roles_of(port, from_id):
        if role["role"] not in held:
            body = {"contactID": to_id, "role": role["role"], "notes": role.get("notes")}
            port.create(CONTACT_ROLE.path, body)
            handed.append(int(role["role"]))
        port.delete(CONTACT_ROLE.path, role["id"], parent_id=from_id)
    return handed


def move(port: Port, contact_id: int, company_id: int) -> dict[str, Any]:
    """Move a person to another company: location and primary cleared, roles follow."""
    contact = require(port, CONTACT, contact_id)
    require(port, COMPANY, company_id)
    if contact["companyID"] == company_id:
        raise ValidationError(f"Contact {contact_id} is already at company {company_id}")
    body = {"companyID": company_id, "companyLocationID": None, "primaryContact": False}
    port.update(CONTACT.path, contact_id, body, parent_id=contact["companyID"])
    return {
        "contactID": contact_id,
        "fromCompanyID": contact["companyID"],
        "toCompanyID": company_id,
        "wasPrimary": bool(contact.get("primaryContact")),
    }


def role_value(choices: Mapping[Any, str], role: Any) -> int:
    """A role by label (any case) or value."""
    text = str(role).strip()
    for value, label in choices.items():
        if text.casefold() in (label.casefold(), str(value)):
            return int(value)
    raise ValidationError(
        f"Invalid value for role: {role!r} is not one of: {', '.join(choices.values())}"
    )


def update_roles(
    port: Port,
    contact_id: int,
    *,
    add: Sequence[Any] = (),
    remove: Sequence[Any] = (),
    title: str | None = None,
) -> dict[str, Any]:
    """Add and remove roles (and set the title); returns the roles held afterwards."""
    contact = require(port, CONTACT, contact_id)
    choices = port.picklist(CONTACT_ROLE.path, "role")
    removing = [role_value(choices, r) for r in remove]
    adding = [role_value(choices, r) for r in add]
    if title is not None:
        port.update(CONTACT.path, contact_id, {"title": title}, parent_id=contact["companyID"])
    held = {r["role"]: r["id"] for r in roles_of(port, contact_id)}
    for value in removing:
        if value in held:
            port.delete(CONTACT_ROLE.path, held.pop(value), parent_id=contact_id)
    for value in adding:
        if value not in held:
            held[value] = port.create(CONTACT_ROLE.path, {"contactID": contact_id, "role": value})
    return {"contactID": contact_id, "roles": _labelled(choices, sorted(held))}


def _labelled(choices: Mapping[Any, str], values: Sequence[int]) -> list[dict[str, Any]]:
    return [{"role": v, "label": choices.get(v, str(v))} for v in values]


def company_contacts(port: Port, company_id: int, *, active_only: bool = False) -> dict[str, Any]:
    """A company's contacts with their roles by label: the people part of a company 360."""
    require(port, COMPANY, company_id)
    condition = [eq("companyID", company_id)]
    if active_only:
        condition.append(eq("isActive", 1))
    people = list(port.query(CONTACT.path, condition))
    roles = port.query(CONTACT_ROLE.path, [eq("companyID", company_id)], fields=ROLE_FIELDS)
    labels = port.picklist(CONTACT_ROLE.path, "role")
    by_contact: dict[int, list[str]] = {}
    for role in roles:
        by_contact.setdefault(role["contactID"], []).append(labels.get(role["role"], ""))
    items = [_person(p, sorted(by_contact.get(p["id"], []))) for p in people]
    return {"companyID": company_id, "items": items}


def _person(record: Record, roles: list[str]) -> dict[str, Any]:
    return {
        "id": record["id"],
        "firstName": record.get("firstName"),
        "lastName": record.get("lastName"),
        "emailAddress": record.get("emailAddress"),
        "title": record.get("title"),
        "isActive": bool(record.get("isActive")),
        "primaryContact": bool(record.get("primaryContact")),
        "roles": roles,
    }
