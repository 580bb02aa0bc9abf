"""Planning an onboarding over the port: match each part of the document to what exists,
by natural key.

Company: ``useExisting`` / ``company.id``, else the exact company name. Contact:
e-mail at that company. Site: name. Contract: contract name. Note: title.
Role: contact and role. Each becomes a ``Step`` (create, update with the changed
fields, or unchanged); nothing is written here. Because every part has a natural key,
planning again after an interrupted run finds what that run created.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any

from mspcrm.domain.entities import (
    COMPANY,
    COMPANY_LOCATION,
    COMPANY_NOTE,
    CONTACT,
    CONTACT_ROLE,
    CONTRACT,
    RESOURCE,
)
from mspcrm.domain.entity import Entity
from mspcrm.domain.onboarding import (
    CREATE,
    CUSTOMER,
    UNCHANGED,
    UPDATE,
    OnboardingDocument,
    Step,
    changes,
)
from mspcrm.domain.validation import read_body
from mspcrm.errors import MspcrmError, NotFoundError, ValidationError
from mspcrm.workflows.lookups import resolve_names
from mspcrm.workflows.port import Port, Record, eq

_SPACES = re.compile(r"\s+")


def step_error(exc: MspcrmError, step: str, key: str = "") -> MspcrmError:
    """The same kind of error, each message prefixed with the step (and key) that failed."""
    where = f"step {step}" + (f" {key!r}" if key else "")
    return type(exc)(*(m if m.startswith("step ") else f"{where}: {m}" for m in exc.errors))


def from_wire(entity: Entity, record: Record | None) -> Record | None:
    """A record as the port answers it, with each declared field coerced as a write would
    coerce it, so that comparing it with the document's values finds only real changes."""
    if record is None:
        return None
    out = dict(record)
    for f in entity.fields:
        if f.name in out and out[f.name] is not None:
            with contextlib.suppress(MspcrmError):
                out[f.name] = f.coerce(out[f.name])
    return out


class Planner:
    """Turns one document into steps, reading (never writing) through the port."""

    def __init__(self, port: Port, doc: OnboardingDocument) -> None:
        self.port, self.doc = port, doc
        self.steps: list[Step] = []
        self.company_id: int | None = None
        self._picklists: dict[tuple[str, str], Mapping[Any, str]] = {}

    def plan(self) -> list[Step]:
        self._company()
        contact_ids = [self._contact(i, body) for i, body in enumerate(self.doc.contacts)]
        for i, body in enumerate(self.doc.sites):
            self._child("site", COMPANY_LOCATION, "name", body, f"site:{i}")
        if self.doc.contract is not None:
            self._contract(self.doc.contract)
        for i, body in enumerate(self.doc.notes):
            self._child("note", COMPANY_NOTE, "title", body, f"note:{i}")
        for index, roles in self.doc.roles.items():
            for role in roles:
                self._role(index, contact_ids[index], role)
        return self.steps

    # ---- reading values -----------------------------------------------------------------
    def desired(self, entity: Entity, body: dict[str, Any], step: str, key: str) -> dict[str, Any]:
        """The file's values for ``entity``, coerced as a write would coerce them."""
        try:
            body = self._labels(entity, body)
            read = read_body(entity, body, {}, strict=True)
            resolve_names(self.port, entity, read)
        except MspcrmError as exc:
            raise step_error(exc, step, key) from exc
        values = read.values
        for name, value in values.items():
            if isinstance(value, str):
                values[name] = value.strip()
        if isinstance(values.get("companyName"), str):
            values["companyName"] = _SPACES.sub(" ", values["companyName"])
        return values

    def _choices(self, entity: Entity, field: str) -> Mapping[Any, str]:
        if (entity.path, field) not in self._picklists:
            self._picklists[(entity.path, field)] = self.port.picklist(entity.path, field)
        return self._picklists[(entity.path, field)]

    def _labels(self, entity: Entity, body: dict[str, Any]) -> dict[str, Any]:
        """Picklist values may be given by label: ``contractType: Recurring Service``."""
        out = dict(body)
        for key, value in body.items():
            f = entity.field(key)
            if f is None or not f.picklist or not isinstance(value, str):
                continue
            if value.strip().lstrip("-").isdigit():
                continue
            choices = self._choices(entity, f.name)
            wanted = value.strip().casefold()
            found = [v for v, label in choices.items() if label.casefold() == wanted]
            if not found:
                labels = ", ".join(choices.values())
                raise ValidationError(f"{f.name} {value!r} is not one of: {labels}")
            out[key] = found[0]
        return out

    def role_value(self, role: Any, key: str) -> int:
        try:
            body = self._labels(CONTACT_ROLE, {"role": role})
            return int(CONTACT_ROLE.require("role").coerce(body["role"]))
        except MspcrmError as exc:
            raise step_error(exc, "role", key) from exc

    # ---- the parts ----------------------------------------------------------------------
    def _add(self, step: Step, current: Record | None, values: dict[str, Any]) -> None:
        if current is None:
            step.action, step.values = CREATE, values
            step.changes = changes(None, values)
        else:
            step.changes = changes(current, values)
            step.action = UPDATE if step.changes else UNCHANGED
            step.values = {name: values[name] for name in step.changes}
        self.steps.append(step)

    def _first(self, entity: Entity, condition: list[Any]) -> Record | None:
        return from_wire(entity, next(self.port.query(entity.path, condition), None))

    def _company(self) -> None:
        values = self.desired(COMPANY, self.doc.company, "company", "")
        values.setdefault("companyType", CUSTOMER)
        if self.doc.account_manager is not None:
            values["ownerResourceID"] = self._resource(self.doc.account_manager)
        current = self._find_company(values.get("companyName"))
        self.company_id = None if current is None else current["id"]
        key = str(values.get("companyName") or (current or {}).get("companyName") or "")
        step = Step("company", COMPANY.name, key, CREATE, self.company_id, ref="company")
        self._add(step, current, values)

    def _find_company(self, name: Any) -> Record | None:
        chosen = self.doc.company_id
        if chosen is not None:
            found = from_wire(COMPANY, self.port.get(COMPANY.path, chosen))
            if found is None:
                raise NotFoundError(f"step company: no Company with id {chosen} (useExisting)")
            return found
        return None if name is None else self._first(COMPANY, [eq("companyName", name)])

    def _resource(self, given: Any) -> int:
        text = str(given).strip()
        if text.isdigit():
            return int(text)
        for name in ("email", "userName"):
            found = next(self.port.query(RESOURCE.path, [eq(name, text)], fields=(name,)), None)
            if found is not None:
                return int(found["id"])
        raise ValidationError(
            f"step company: accountManager {text!r} is not a resource (give its id or e-mail)"
        )

    def _existing(self, entity: Entity, equals: dict[str, Any]) -> Record | None:
        if self.company_id is None or any(v is None for v in equals.values()):
            return None
        condition = [eq("companyID", self.company_id), *(eq(k, v) for k, v in equals.items())]
        return self._first(entity, condition)

    def _contact(self, index: int, body: dict[str, Any]) -> int | None:
        key = str(body.get("emailAddress", "")).strip()
        values = self.desired(CONTACT, body, "contact", key)
        current = self._existing(CONTACT, {"emailAddress": values.get("emailAddress")})
        step = Step("contact", CONTACT.name, key, CREATE, None, ref=f"contact:{index}")
        step.record_id = None if current is None else current["id"]
        step.links = {"companyID": "company"}
        self._add(step, current, values)
        return step.record_id

    def _child(
        self, name: str, entity: Entity, key_field: str, body: dict[str, Any], ref: str
    ) -> None:
        key = str(body.get(key_field, "")).strip()
        values = self.desired(entity, body, name, key)
        current = self._existing(entity, {key_field: values.get(key_field)})
        step = Step(name, entity.name, key, CREATE, None if current is None else current["id"])
        step.ref, step.links = ref, {"companyID": "company"}
        self._add(step, current, values)

    def _contract(self, body: dict[str, Any]) -> None:
        self._child("contract", CONTRACT, "contractName", body, "contract")
        step = self.steps[-1]
        if step.action == CREATE and "contactID" not in step.values:
            step.links["contactID"] = "contact:0"

    def _role(self, index: int, contact_id: int | None, role: Any) -> None:
        email = str(self.doc.contacts[index].get("emailAddress", "")).strip()
        key = f"{email}: {role}"
        value = self.role_value(role, key)
        found = None
        if contact_id is not None:
            condition = [eq("contactID", contact_id), eq("role", value)]
            found = next(self.port.query(CONTACT_ROLE.path, condition, fields=("role",)), None)
        step = Step("role", CONTACT_ROLE.name, key, CREATE, None if found is None else found["id"])
        step.links = {"contactID": f"contact:{index}"}
        self._add(step, {"role": value} if found else None, {"role": value})
