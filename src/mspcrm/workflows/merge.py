"""Merging two companies or two contacts: the plan, and the check before an undo.

A merge is planned first: which of KEEP's blank fields fill in from OTHER, which records
that point at OTHER move to KEEP (found generically: every declared reference to the
entity), and how OTHER is retired (made inactive; a company is also renamed
``... [merged into N]``, which an Autotask user sees, since companies cannot be
deleted). The plan is a list of field changes with a fingerprint. ``apply`` writes them
over the port (one PATCH per record, on a tenant); in process ``services/merge.py``
writes them in one transaction with the history. ``unchanged_problems`` says what moved
on since, before an undo.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from mspcrm.domain.entities import CONTACT
from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Boolean, Flag
from mspcrm.domain.rules import ROOT_COMPANY_ID
from mspcrm.errors import NotFoundError, ValidationError
from mspcrm.workflows.port import REGISTRY, Port, Record, eq

MERGEABLE = ("Company", "Contact")
UDFS = "userDefinedFields"
UDF_PREFIX = f"{UDFS}."
PRIMARY_FLAGS = {"CompanyLocation": "isPrimary", "Contact": "primaryContact"}


@dataclass(frozen=True)
class Change:
    entity: str
    record_id: int
    field: str
    before: Any
    after: Any
    reason: str  # fill | move | retire | adjust


@dataclass
class MergePlan:
    entity: str
    keep_id: int
    other_id: int
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        body = orjson.dumps([asdict(c) for c in self.changes], option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(
            f"{self.entity}:{self.keep_id}:{self.other_id}:".encode() + body
        ).hexdigest()[:16]

    def to_wire(self) -> dict[str, Any]:
        def part(*reasons: str) -> list[dict[str, Any]]:
            return [
                {
                    "entity": c.entity,
                    "id": c.record_id,
                    "field": c.field,
                    "before": c.before,
                    "after": c.after,
                }
                for reason in reasons
                for c in self.changes
                if c.reason == reason
            ]

        return {
            "entity": self.entity,
            "keepID": self.keep_id,
            "otherID": self.other_id,
            "fills": part("fill"),
            "moves": part("move", "adjust"),
            "retire": part("retire"),
            "warnings": self.warnings,
            "fingerprint": self.fingerprint,
        }


def mergeable(entity_name: str) -> Entity:
    entity = REGISTRY.by_name(entity_name)
    if entity.name not in MERGEABLE:
        raise ValidationError(
            f"{entity.name} records cannot be merged; only {', '.join(MERGEABLE)}"
        )
    return entity


def _load(port: Port, entity: Entity, record_id: int) -> Record:
    found = port.get(entity.path, record_id)
    if found is None:
        raise NotFoundError(f"{entity.name} not found: no {entity.name} with id {record_id}")
    return found


# ---- planning -------------------------------------------------------------------------------
def plan(port: Port, entity_name: str, keep_id: int, other_id: int) -> MergePlan:
    entity = mergeable(entity_name)
    if keep_id == other_id:
        raise ValidationError(f"Cannot merge {entity.name} {keep_id} into itself")
    if entity.name == "Company" and other_id == ROOT_COMPANY_ID:
        raise ValidationError("Company 0 is the MSP's own company and cannot be merged away")
    keep, other = (_load(port, entity, i) for i in (keep_id, other_id))
    found = MergePlan(entity.name, keep_id, other_id)
    found.changes += _fills(entity, keep, other)
    found.changes += _moves(port, entity, keep, other)
    found.changes += _retire(entity, other, keep_id)
    found.warnings += _warnings(port, entity, keep, other)
    return found


def references_to(entity: Entity) -> list[tuple[Entity, str]]:
    """Every (entity, field) that points at ``entity`` and a merge may move."""
    return [
        (child, f.name)
        for child in REGISTRY
        for f in child.fields
        if f.reference == entity.name and not f.read_only and f.maintained is None
    ]


def _moves(port: Port, entity: Entity, keep: Record, other: Record) -> list[Change]:
    changes: list[Change] = []
    for child, link in references_to(entity):
        for record in port.query(child.path, [eq(link, other["id"])]):
            if child is entity and record["id"] == keep["id"]:
                changes.append(
                    Change(child.name, keep["id"], link, other["id"], other.get(link), "adjust")
                )
                continue
            changes.append(Change(child.name, record["id"], link, other["id"], keep["id"], "move"))
            changes += _demote_primary(port, child, record, keep)
    return changes


def _demote_primary(port: Port, child: Entity, record: Record, keep: Record) -> list[Change]:
    """A moved primary location/contact stays primary only if KEEP has none."""
    flag = PRIMARY_FLAGS.get(child.name)
    if flag is None or not record.get(flag) or child.parent is None:
        return []
    condition = [eq(child.parent.field, keep["id"]), eq(flag, True)]
    if next(port.query(child.path, condition, fields=(flag,)), None) is None:
        return []
    return [Change(child.name, record["id"], flag, True, False, "adjust")]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def udf_values(record: Record) -> dict[str, Any]:
    """UDF values by name, from the wire list (``[{"name", "value"}]``) or a mapping."""
    raw = record.get(UDFS) or {}
    if isinstance(raw, list):
        return {str(u.get("name")): u.get("value") for u in raw if isinstance(u, dict)}
    return dict(raw)


def _fills(entity: Entity, keep: Record, other: Record) -> list[Change]:
    parent_link = entity.parent.field if entity.parent else None
    changes = [
        Change(entity.name, keep["id"], f.name, keep.get(f.name), other.get(f.name), "fill")
        for f in entity.writable_fields
        if f.name != parent_link
        and not (f.reference == entity.name and other.get(f.name) == keep["id"])  # itself
        and not isinstance(f.kind, Boolean | Flag)
        and _blank(keep.get(f.name))
        and not _blank(other.get(f.name))
    ]
    keep_udfs, other_udfs = udf_values(keep), udf_values(other)
    changes += [
        Change(entity.name, keep["id"], f"{UDF_PREFIX}{name}", None, value, "fill")
        for name, value in sorted(other_udfs.items())
        if _blank(keep_udfs.get(name)) and not _blank(value)
    ]
    return changes


def _retire(entity: Entity, other: Record, keep_id: int) -> list[Change]:
    name, oid = entity.name, other["id"]
    if name == "Company":
        marked = f"{other['companyName']} [merged into {keep_id}]"[:100]
        return [
            Change(name, oid, "companyName", other["companyName"], marked, "retire"),
            Change(name, oid, "isActive", other.get("isActive"), False, "retire"),
        ]
    changes = [Change(name, oid, "isActive", other.get("isActive"), 0, "retire")]
    if other.get("primaryContact"):
        changes.append(Change(name, oid, "primaryContact", True, False, "retire"))
    return changes


def _warnings(port: Port, entity: Entity, keep: Record, other: Record) -> list[str]:
    if entity.name == "Contact":
        if keep.get("companyID") == other.get("companyID"):
            return []
        return [
            f"The contacts are at different companies; contact {keep['id']} stays at "
            f"company {keep.get('companyID')}"
        ]

    def emails(company: int) -> dict[str, int]:
        people = port.query(CONTACT.path, [eq("companyID", company)], fields=("emailAddress",))
        return {str(c["emailAddress"]).lower(): c["id"] for c in people if c.get("emailAddress")}

    kept, moving = emails(keep["id"]), emails(other["id"])
    return [
        f"Contacts {kept[email]} and {moving[email]} will both be at company {keep['id']} with "
        f"{email}: consider merging them"
        for email in sorted(kept.keys() & moving.keys())
    ]


# ---- doing, and checking before undoing -------------------------------------------------------
def grouped(changes: list[Change]) -> dict[tuple[str, int], list[Change]]:
    """The changes of each record, in order."""
    out: dict[tuple[str, int], list[Change]] = {}
    for change in changes:
        out.setdefault((change.entity, change.record_id), []).append(change)
    return out


def apply(port: Port, changes: list[Change], *, undo: bool) -> None:
    """One PATCH per record (the values after, or before for an undo).

    A primary location cannot be demoted by a write (a company keeps one): a moved
    primary location is moved as it is, and KEEP's own primary is then made primary
    again, which demotes it, as the plan says."""
    for (entity_name, record_id), group in grouped(changes).items():
        entity = REGISTRY.by_name(entity_name)
        body, parent = _body(entity, group, undo=undo)
        reassert = None
        if entity.name == "CompanyLocation" and body.get("isPrimary") is False:
            del body["isPrimary"]
            reassert = _primary_location(port, body.get("companyID"))
        port.update(entity.path, record_id, body, parent_id=parent)
        if reassert is not None:
            port.update(entity.path, reassert, {"isPrimary": True}, parent_id=body["companyID"])


def _body(entity: Entity, group: list[Change], *, undo: bool) -> tuple[Record, Any]:
    """The PATCH body of one record's changes, and the parent it is written under now."""
    body: Record = {}
    udfs: list[dict[str, Any]] = []
    parent = None
    for change in group:
        value = change.before if undo else change.after
        if change.field.startswith(UDF_PREFIX):
            udfs.append({"name": change.field[len(UDF_PREFIX) :], "value": value})
            continue
        body[change.field] = value
        if entity.parent is not None and change.field == entity.parent.field:
            parent = change.after if undo else change.before  # where it is now
    if udfs:
        body[UDFS] = udfs
    return body, parent


def _primary_location(port: Port, company_id: Any) -> int | None:
    if company_id is None:
        return None
    condition = [eq("companyID", company_id), eq("isPrimary", True)]
    found = next(port.query("CompanyLocations", condition, fields=("isPrimary",)), None)
    return None if found is None else int(found["id"])


def unchanged_problems(port: Port, changes: list[Change]) -> list[str]:
    """What moved on since the merge: each value that is no longer what the merge set."""
    problems = []
    for change in changes:
        entity = REGISTRY.by_name(change.entity)
        current = port.get(entity.path, change.record_id)
        if current is None:
            problems.append(f"{change.entity} {change.record_id} no longer exists")
            continue
        if change.field.startswith(UDF_PREFIX):
            now = udf_values(current).get(change.field[len(UDF_PREFIX) :])
        else:
            now = current.get(change.field)
        if now != change.after:
            problems.append(
                f"{change.entity} {change.record_id} {change.field} is now {now!r}; "
                f"the merge set it to {change.after!r}"
            )
    return problems
