"""Client onboarding as data: the document, the plan of steps, the fingerprint (pure Python).

An onboarding document names a company, its primary contact (and optionally
more contacts), one or more sites with exactly one primary, a contract and
notes. Reading it checks its shape and names the failing section; planning
(``services.onboarding``) matches each part to what already exists by its
natural key (company name or id, contact e-mail, site name, contract name,
note title) and turns it into steps: create, update or unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from mspcrm.domain.fields import format_datetime
from mspcrm.errors import ValidationError

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
SECTIONS = ("useExisting", "company", "contact", "contacts", "sites", "contract", "notes")
COMPANY_EXTRAS = ("id", "billing", "accountManager")
BILLING_ALIASES = {"paymentTerms": "invoiceTemplateID", "taxRegion": "taxRegionID"}
CUSTOMER = 1  # Company.companyType "Customer"


def _mapping(section: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"step {section}: expected a mapping of fields, got {value!r}")
    return {str(k): v for k, v in value.items()}


def _list(section: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(f"step {section}: expected a list, got {value!r}")
    return [_mapping(section, item) for item in value]


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "yes", "1")


@dataclass
class OnboardingDocument:
    """An onboarding file, read and shape-checked; values still as the file wrote them."""

    company: dict[str, Any]
    company_id: int | None
    account_manager: Any
    contacts: list[dict[str, Any]]  # the primary contact first
    roles: dict[int, list[Any]]  # contact index -> role labels or values
    sites: list[dict[str, Any]]  # the primary site first
    contract: dict[str, Any] | None
    notes: list[dict[str, Any]]


def read_document(raw: Any) -> OnboardingDocument:
    """Check the document's shape; every problem names its section (``step sites: ...``)."""
    doc = _mapping("document", raw)
    unknown = sorted(set(doc) - set(SECTIONS))
    if unknown:
        raise ValidationError(
            f"step document: unknown section(s) {', '.join(unknown)}; use {', '.join(SECTIONS)}"
        )
    company, company_id, manager = _company(doc)
    contacts, roles = _contacts(doc)
    return OnboardingDocument(
        company=company,
        company_id=company_id,
        account_manager=manager,
        contacts=contacts,
        roles=roles,
        sites=_sites(doc.get("sites")),
        contract=None if doc.get("contract") is None else _mapping("contract", doc["contract"]),
        notes=_notes(doc.get("notes")),
    )


def _company(doc: dict[str, Any]) -> tuple[dict[str, Any], int | None, Any]:
    company = _mapping("company", doc.get("company"))
    billing = _mapping("company.billing", company.get("billing") or {})
    values = {k: v for k, v in company.items() if k not in COMPANY_EXTRAS}
    for key, value in billing.items():
        values[BILLING_ALIASES.get(key, key)] = value
    chosen = doc.get("useExisting", company.get("id"))
    if chosen is not None and (isinstance(chosen, bool) or not str(chosen).strip().isdigit()):
        raise ValidationError(f"step company: useExisting/company.id {chosen!r} is not an id")
    if not values.get("companyName") and chosen is None:
        raise ValidationError("step company: companyName is required")
    return values, None if chosen is None else int(chosen), company.get("accountManager")


def _contacts(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[int, list[Any]]]:
    people = ([_mapping("contact", doc["contact"])] if doc.get("contact") else []) + _list(
        "contacts", doc.get("contacts")
    )
    if not people:
        raise ValidationError("step contact: a primary contact is required")
    flagged = [i for i, p in enumerate(people) if _flag(p.get("primary", p.get("primaryContact")))]
    if len(flagged) > 1:
        raise ValidationError("step contact: more than one contact is marked primary")
    first = flagged[0] if flagged else 0
    people.insert(0, people.pop(first))
    roles: dict[int, list[Any]] = {}
    contacts = []
    for index, person in enumerate(people):
        given = person.get("roles") or []
        roles[index] = given if isinstance(given, list) else [given]
        body = {k: v for k, v in person.items() if k not in ("roles", "primary", "primaryContact")}
        body["primaryContact"] = index == 0
        if not body.get("emailAddress"):
            raise ValidationError(f"step contact: emailAddress is required (contact {index + 1})")
        contacts.append(body)
    return contacts, roles


def _sites(value: Any) -> list[dict[str, Any]]:
    sites = _list("sites", value)
    if not sites:
        raise ValidationError("step sites: at least one site is required")
    names = [str(s.get("name") or "").strip().casefold() for s in sites]
    if "" in names:
        raise ValidationError("step sites: every site needs a name")
    if len(set(names)) != len(names):
        raise ValidationError("step sites: two sites have the same name")
    flagged = [i for i, s in enumerate(sites) if _flag(s.get("primary", s.get("isPrimary")))]
    if len(sites) > 1 and len(flagged) != 1:
        raise ValidationError(
            f"step sites: exactly one site must have primary: true ({len(flagged)} have)"
        )
    first = flagged[0] if flagged else 0
    sites.insert(0, sites.pop(first))
    return [
        {**{k: v for k, v in s.items() if k not in ("primary", "isPrimary")}, "isPrimary": i == 0}
        for i, s in enumerate(sites)
    ]


def _notes(value: Any) -> list[dict[str, Any]]:
    notes = _list("notes", value)
    for note in notes:
        if not note.get("title"):
            raise ValidationError("step notes: every note needs a title (its natural key)")
    return notes


# ---- plans -------------------------------------------------------------------------------
def json_value(value: Any) -> Any:
    return format_datetime(value) if isinstance(value, datetime) else value


def changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for each desired value that differs from the current one."""
    old = current or {}
    return {
        name: [json_value(old.get(name)), json_value(value)]
        for name, value in desired.items()
        if old.get(name) != value
    }


@dataclass
class Step:
    """One write of an onboarding: what, matched by which key, and what changes."""

    step: str  # company | contact | site | contract | note | role
    entity: str
    key: str  # the natural key the record is matched by
    action: str  # create | update | unchanged
    record_id: int | None
    changes: dict[str, list[Any]] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict, repr=False)  # what is written
    ref: str = ""  # how later steps name this record: "company", "contact:0"
    links: dict[str, str] = field(default_factory=dict, repr=False)  # field -> ref to fill in

    def to_wire(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "entity": self.entity,
            "key": self.key,
            "action": self.action,
            "id": self.record_id,
            "changes": self.changes,
        }


def fingerprint(steps: list[Step]) -> str:
    """A short hash of the planned steps: apply with it to refuse a plan that went stale."""
    body = orjson.dumps([s.to_wire() for s in steps], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()[:16]


def summary(steps: list[Step]) -> dict[str, int]:
    counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0}
    for s in steps:
        counts[s.action] += 1
    return counts


def message(steps: list[Step], *, dry_run: bool) -> str:
    counts = summary(steps)
    if not counts[CREATE] and not counts[UPDATE]:
        return "Nothing to do: the client is already onboarded as the file describes"
    verb = "Would create" if dry_run else "Created"
    return f"{verb} {counts[CREATE]}, {'would update' if dry_run else 'updated'} " + (
        f"{counts[UPDATE]}, unchanged {counts[UNCHANGED]}"
    )
