"""Contact lifecycle: deactivate (with a successor), move to another company, roles and title.

Every change is a ``RecordService`` write inside one transaction, so each is
validated by the same rules and recorded in the entity history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.entities import CONTACT, CONTACT_ROLE
from mspcrm.domain.fields import Field
from mspcrm.errors import ConflictError, NotFoundError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.hierarchy import require_company
from mspcrm.services.records import RecordService
from mspcrm.store import repository
from mspcrm.store.database import Database

ROLE: Field = CONTACT_ROLE.require("role")


class ContactLifecycle:
    def __init__(self, db: Database, records: RecordService) -> None:
        self.db, self.records = db, records

    def _contact(self, conn: Connection, contact_id: int, what: str = "Contact") -> dict[str, Any]:
        found = repository.get(conn, CONTACT, contact_id)
        if found is None:
            raise NotFoundError(f"{what} not found: no Contact with id {contact_id}")
        return found

    # ---- deactivate ---------------------------------------------------------------------
    def deactivate(
        self, contact_id: int, actor: Actor, *, successor_id: int | None = None, force: bool = False
    ) -> dict[str, Any]:
        """Mark inactive and clear primary; a successor takes over primary and the roles."""
        with self.db.write() as conn:
            contact = self._contact(conn, contact_id)
            successor = self._successor(conn, contact, successor_id)
            was_primary = bool(contact.get("primaryContact"))
            if was_primary and successor is None and not force:
                raise ConflictError(
                    f"Contact {contact_id} is the primary contact of company "
                    f"{contact['companyID']}: name a successor (--successor ID) or use --force"
                )
            body = {"isActive": 0, "primaryContact": False}
            self.records.update_in(conn, CONTACT, body, actor, record_id=contact_id)
            handed: list[int] = []
            if successor is not None:
                if was_primary:
                    primary = {"primaryContact": True}
                    self.records.update_in(conn, CONTACT, primary, actor, record_id=successor["id"])
                handed = self._hand_over_roles(conn, contact_id, successor["id"], actor)
        return {
            "contactID": contact_id,
            "isActive": False,
            "wasPrimary": was_primary,
            "successorID": None if successor is None else successor["id"],
            "primaryHandedOver": was_primary and successor is not None,
            "rolesHandedOver": handed,
            "companyHasPrimary": successor is not None or not was_primary,
        }

    def _successor(
        self, conn: Connection, contact: dict[str, Any], successor_id: int | None
    ) -> dict[str, Any] | None:
        if successor_id is None:
            return None
        if successor_id == contact["id"]:
            raise ValidationError("successor: a contact cannot succeed itself")
        successor = self._contact(conn, successor_id, "Successor")
        if successor["companyID"] != contact["companyID"]:
            raise ValidationError(
                f"successor: contact {successor_id} is at company {successor['companyID']}, "
                f"not at company {contact['companyID']}"
            )
        if not successor.get("isActive"):
            raise ValidationError(f"successor: contact {successor_id} is inactive")
        return successor

    def _hand_over_roles(
        self, conn: Connection, from_id: int, to_id: int, actor: Actor
    ) -> list[int]:
        held = {r["role"] for r in self._roles(conn, to_id)}
        handed = []
        for role in self._roles(conn, from_id):
            if role["role"] not in held:
                body = {"contactID": to_id, "role": role["role"], "notes": role.get("notes")}
                self.records.create_in(conn, CONTACT_ROLE, body, actor)
                handed.append(int(role["role"]))
            self.records.delete_in(conn, CONTACT_ROLE, role["id"], actor)
        return handed

    # ---- move ---------------------------------------------------------------------------
    def move(self, contact_id: int, company_id: int, actor: Actor) -> dict[str, Any]:
        """Move a person to another company: location and primary cleared, roles follow."""
        with self.db.write() as conn:
            contact = self._contact(conn, contact_id)
            require_company(conn, company_id)
            if contact["companyID"] == company_id:
                raise ValidationError(f"Contact {contact_id} is already at company {company_id}")
            body = {"companyID": company_id, "companyLocationID": None, "primaryContact": False}
            self.records.update_in(conn, CONTACT, body, actor, record_id=contact_id)
        return {
            "contactID": contact_id,
            "fromCompanyID": contact["companyID"],
            "toCompanyID": company_id,
            "wasPrimary": bool(contact.get("primaryContact")),
        }

    # ---- roles and title ----------------------------------------------------------------
    def _roles(self, conn: Connection, contact_id: int) -> list[dict[str, Any]]:
        ids = repository.find_ids(conn, CONTACT_ROLE, {"contactID": contact_id}, limit=1000)
        return repository.get_many(conn, CONTACT_ROLE, ids)

    def role_value(self, conn: Connection, role: Any) -> int:
        """A role by label (any case) or value."""
        choices = self.records.picklists(conn, CONTACT_ROLE)["role"]
        text = str(role).strip()
        for choice in choices:
            if text.casefold() in (choice.label.casefold(), str(choice.value)):
                return choice.value
        labels = ", ".join(c.label for c in choices if c.is_active)
        raise ValidationError(f"Invalid value for role: {role!r} is not one of: {labels}")

    def update_roles(
        self,
        contact_id: int,
        actor: Actor,
        *,
        add: Sequence[Any] = (),
        remove: Sequence[Any] = (),
        title: str | None = None,
    ) -> dict[str, Any]:
        """Add and remove roles (and set the title) in one transaction; returns the roles."""
        with self.db.write() as conn:
            self._contact(conn, contact_id)
            if title is not None:
                self.records.update_in(conn, CONTACT, {"title": title}, actor, record_id=contact_id)
            held = {r["role"]: r["id"] for r in self._roles(conn, contact_id)}
            for value in (self.role_value(conn, r) for r in remove):
                if value in held:
                    self.records.delete_in(conn, CONTACT_ROLE, held.pop(value), actor)
            for value in (self.role_value(conn, r) for r in add):
                if value not in held:
                    body = {"contactID": contact_id, "role": value}
                    held[value] = self.records.create_in(conn, CONTACT_ROLE, body, actor)
            return {"contactID": contact_id, "roles": self._labelled(conn, sorted(held))}

    def _labelled(self, conn: Connection, values: Sequence[int]) -> list[dict[str, Any]]:
        labels = {c.value: c.label for c in self.records.picklists(conn, CONTACT_ROLE)["role"]}
        return [{"role": v, "label": labels.get(v, str(v))} for v in values]

    def company_contacts(self, company_id: int, *, active_only: bool = False) -> dict[str, Any]:
        """A company's contacts with their roles by label: the people part of a company 360."""
        with self.db.read() as conn:
            require_company(conn, company_id)
            equals: dict[str, Any] = {"companyID": company_id}
            if active_only:
                equals["isActive"] = 1
            people = repository.get_many(
                conn, CONTACT, repository.find_ids(conn, CONTACT, equals, limit=10_000)
            )
            role_ids = repository.find_ids(
                conn, CONTACT_ROLE, {"companyID": company_id}, limit=100_000
            )
            roles = repository.get_many(conn, CONTACT_ROLE, role_ids)
            labels = {c.value: c.label for c in self.records.picklists(conn, CONTACT_ROLE)["role"]}
        by_contact: dict[int, list[str]] = {}
        for role in roles:
            by_contact.setdefault(role["contactID"], []).append(labels.get(role["role"], ""))
        items = [_person(p, sorted(by_contact.get(p["id"], []))) for p in people]
        return {"companyID": company_id, "items": items}


def _person(record: dict[str, Any], roles: list[str]) -> dict[str, Any]:
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
