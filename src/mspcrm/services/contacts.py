"""Contact lifecycle in process: ``workflows/contacts.py`` over the services, each call in
one transaction (validated by the same rules, recorded in the entity history)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mspcrm.services.context import Actor
from mspcrm.services.port import ServicePort
from mspcrm.services.records import RecordService
from mspcrm.workflows import contacts


class ContactLifecycle:
    def __init__(self, records: RecordService) -> None:
        self.records = records
        self.db = records.db

    def deactivate(
        self, contact_id: int, actor: Actor, *, successor_id: int | None = None, force: bool = False
    ) -> dict[str, Any]:
        """Mark inactive and clear primary; a successor takes over primary and the roles."""
        with self.db.write() as conn:
            port = ServicePort(self.records, conn, actor)
            return contacts.deactivate(port, contact_id, successor_id=successor_id, force=force)

    def move(self, contact_id: int, company_id: int, actor: Actor) -> dict[str, Any]:
        """Move a person to another company: location and primary cleared, roles follow."""
        with self.db.write() as conn:
            return contacts.move(ServicePort(self.records, conn, actor), contact_id, company_id)

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
            port = ServicePort(self.records, conn, actor)
            return contacts.update_roles(port, contact_id, add=add, remove=remove, title=title)

    def company_contacts(self, company_id: int, *, active_only: bool = False) -> dict[str, Any]:
        """A company's contacts with their roles by label."""
        port = ServicePort(self.records)
        return contacts.company_contacts(port, company_id, active_only=active_only)
