"""Reversible merge of two companies or two contacts.

A merge is planned first: which of KEEP's blank fields fill in from OTHER,
which records that point at OTHER move to KEEP (found generically: every
declared reference to the entity), and how OTHER is retired (made inactive;
a company is also renamed ``... [merged into N]`` since companies cannot be
deleted). The plan is a list of field changes with a fingerprint; executing
it re-plans inside the transaction and refuses if the fingerprint no longer
matches. Every change is logged, so ``undo`` can put each value back, unless
a value was changed since, in which case it refuses and says which.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.fields import Boolean, Flag, Maintained, utc_now
from mspcrm.domain.rules import ROOT_COMPANY_ID
from mspcrm.errors import ConflictError, NotFoundError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.duplicates import reindex_record
from mspcrm.store import history, repository
from mspcrm.store.database import Database
from mspcrm.store.schema import merge_log

MERGEABLE = ("Company", "Contact")
UDF_PREFIX = f"{repository.UDFS}."


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
        def part(reason: str) -> list[dict[str, Any]]:
            return [
                {
                    "entity": c.entity,
                    "id": c.record_id,
                    "field": c.field,
                    "before": c.before,
                    "after": c.after,
                }
                for c in self.changes
                if c.reason == reason
            ]

        return {
            "entity": self.entity,
            "keepID": self.keep_id,
            "otherID": self.other_id,
            "fills": part("fill"),
            "moves": part("move") + part("adjust"),
            "retire": part("retire"),
            "warnings": self.warnings,
            "fingerprint": self.fingerprint,
        }


class MergeService:
    def __init__(self, db: Database, registry: Registry) -> None:
        self.db = db
        self.registry = registry

    def plan(self, entity_name: str, keep_id: int, other_id: int) -> MergePlan:
        with self.db.read() as conn:
            return self._plan(conn, self._entity(entity_name), keep_id, other_id)

    def merge(
        self,
        entity_name: str,
        keep_id: int,
        other_id: int,
        actor: Actor,
        *,
        fingerprint: str | None = None,
    ) -> tuple[int, MergePlan]:
        """Carry out the merge in one transaction; returns the merge log id and the plan done."""
        entity = self._entity(entity_name)
        with self.db.write() as conn:
            self.db.lock(conn, f"merge:{entity.name}")
            plan = self._plan(conn, entity, keep_id, other_id)
            if fingerprint and fingerprint != plan.fingerprint:
                raise ConflictError(
                    f"The records changed since the plan {fingerprint} was made: "
                    "plan the merge again"
                )
            merge_id = self._log(conn, plan, actor)
            self._apply(conn, plan.changes, actor, f"merge {merge_id}", undo=False)
            return merge_id, plan

    def undo(self, merge_id: int, actor: Actor) -> dict[str, Any]:
        with self.db.write() as conn:
            row = conn.execute(sa.select(merge_log).where(merge_log.c.id == merge_id)).first()
            if row is None:
                raise NotFoundError(f"Merge not found: no merge with id {merge_id}")
            if row.undone_at is not None:
                raise ConflictError(f"Merge {merge_id} was already undone")
            changes = [Change(**c) for c in row.changes]
            self._check_unchanged(conn, changes, merge_id)
            self._apply(conn, list(reversed(changes)), actor, f"undo merge {merge_id}", undo=True)
            conn.execute(
                sa.update(merge_log).where(merge_log.c.id == merge_id).values(undone_at=utc_now())
            )
            return {"mergeID": merge_id, "restored": len(changes)}

    def get(self, merge_id: int) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(sa.select(merge_log).where(merge_log.c.id == merge_id)).first()
        if row is None:
            raise NotFoundError(f"Merge not found: no merge with id {merge_id}")
        return {
            "id": row.id,
            "entity": row.entity,
            "keepID": row.keep_id,
            "otherID": row.other_id,
            "createdAt": history.json_value(row.created_at),
            "undoneAt": history.json_value(row.undone_at),
            "changes": row.changes,
        }

    # ---- planning -----------------------------------------------------------------------
    def _entity(self, name: str) -> Entity:
        entity = self.registry.by_name(name)
        if entity.name not in MERGEABLE:
            raise ValidationError(
                f"{entity.name} records cannot be merged; only {', '.join(MERGEABLE)}"
            )
        return entity

    def _plan(self, conn: Connection, entity: Entity, keep_id: int, other_id: int) -> MergePlan:
        if keep_id == other_id:
            raise ValidationError(f"Cannot merge {entity.name} {keep_id} into itself")
        if entity.name == "Company" and other_id == ROOT_COMPANY_ID:
            raise ValidationError("Company 0 is the MSP's own company and cannot be merged away")
        keep, other = (self._load(conn, entity, i) for i in (keep_id, other_id))
        plan = MergePlan(entity.name, keep_id, other_id)
        plan.changes += _fills(entity, keep, other)
        plan.changes += self._moves(conn, entity, keep, other)
        plan.changes += _retire(entity, other, keep_id)
        plan.warnings += _warnings(conn, entity, keep, other)
        return plan

    def _load(self, conn: Connection, entity: Entity, record_id: int) -> dict[str, Any]:
        found = repository.get(conn, entity, record_id)
        if found is None:
            raise NotFoundError(f"{entity.name} not found: no {entity.name} with id {record_id}")
        return found

    def _moves(
        self, conn: Connection, entity: Entity, keep: dict[str, Any], other: dict[str, Any]
    ) -> list[Change]:
        changes: list[Change] = []
        for child, link in self._references_to(entity):
            for record in _pointing_at(conn, child, link, other["id"]):
                if child is entity and record["id"] == keep["id"]:
                    changes.append(
                        Change(child.name, keep["id"], link, other["id"], other.get(link), "adjust")
                    )
                    continue
                changes.append(
                    Change(child.name, record["id"], link, other["id"], keep["id"], "move")
                )
                changes += _demote_primary(conn, child, record, keep)
        return changes

    def _references_to(self, entity: Entity) -> list[tuple[Entity, str]]:
        return [
            (child, f.name)
            for child in self.registry
            for f in child.fields
            if f.reference == entity.name and not f.read_only and f.maintained is None
        ]

    # ---- doing and undoing ----------------------------------------------------------------
    def _log(self, conn: Connection, plan: MergePlan, actor: Actor) -> int:
        result = conn.execute(
            sa.insert(merge_log)
            .values(
                entity=plan.entity,
                keep_id=plan.keep_id,
                other_id=plan.other_id,
                created_at=utc_now(),
                resource_id=actor.resource_id,
                channel=actor.channel,
                changes=[asdict(c) for c in plan.changes],
            )
            .returning(merge_log.c.id)
        )
        return int(result.scalar_one())

    def _apply(
        self, conn: Connection, changes: list[Change], actor: Actor, context: str, *, undo: bool
    ) -> None:
        grouped: dict[tuple[str, int], list[Change]] = {}
        for change in changes:
            grouped.setdefault((change.entity, change.record_id), []).append(change)
        for (entity_name, record_id), group in grouped.items():
            entity = self.registry.by_name(entity_name)
            current = self._load(conn, entity, record_id)
            values, udfs = _values(entity, group, undo=undo)
            repository.update(
                conn, entity, record_id, values, udfs, current_udfs=current.get(repository.UDFS)
            )
            log = history.diff(current, values)
            log |= {
                f"{UDF_PREFIX}{k}": [(current.get(repository.UDFS) or {}).get(k), v]
                for k, v in udfs.items()
            }
            reindex_record(conn, entity, record_id)
            history.record(
                conn,
                entity=entity.name,
                record_id=record_id,
                op="update",
                changes=log,
                resource_id=actor.resource_id,
                api_user_id=actor.api_user_id,
                channel=actor.channel,
                context=f"{context}; {actor.context}" if actor.context else context,
            )

    def _check_unchanged(self, conn: Connection, changes: list[Change], merge_id: int) -> None:
        problems = []
        for change in changes:
            entity = self.registry.by_name(change.entity)
            current = repository.get(conn, entity, change.record_id)
            if current is None:
                problems.append(f"{change.entity} {change.record_id} no longer exists")
                continue
            now = _current_value(current, change.field)
            if now != change.after:
                problems.append(
                    f"{change.entity} {change.record_id} {change.field} is now {now!r}; "
                    f"the merge set it to {change.after!r}"
                )
        if problems:
            raise ConflictError(
                f"Merge {merge_id} cannot be undone: records changed since", *problems
            )


def _current_value(record: dict[str, Any], name: str) -> Any:
    if name.startswith(UDF_PREFIX):
        return history.json_value((record.get(repository.UDFS) or {}).get(name[len(UDF_PREFIX) :]))
    return history.json_value(record.get(name))


def _values(
    entity: Entity, group: list[Change], *, undo: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    values: dict[str, Any] = {}
    udfs: dict[str, Any] = {}
    for change in group:
        raw = change.before if undo else change.after
        if change.field.startswith(UDF_PREFIX):
            udfs[change.field[len(UDF_PREFIX) :]] = raw
        else:
            values[change.field] = entity.require(change.field).coerce(raw)
    stamp = utc_now()
    for f in entity.fields:
        if f.maintained is Maintained.MODIFIED_AT:
            values[f.name] = stamp
    return values, udfs


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _fills(entity: Entity, keep: dict[str, Any], other: dict[str, Any]) -> list[Change]:
    parent_link = entity.parent.field if entity.parent else None
    changes = [
        Change(
            entity.name,
            keep["id"],
            f.name,
            history.json_value(keep.get(f.name)),
            history.json_value(other.get(f.name)),
            "fill",
        )
        for f in entity.writable_fields
        if f.name != parent_link
        and not isinstance(f.kind, Boolean | Flag)
        and _blank(keep.get(f.name))
        and not _blank(other.get(f.name))
    ]
    keep_udfs, other_udfs = keep.get(repository.UDFS) or {}, other.get(repository.UDFS) or {}
    changes += [
        Change(entity.name, keep["id"], f"{UDF_PREFIX}{name}", None, value, "fill")
        for name, value in sorted(other_udfs.items())
        if _blank(keep_udfs.get(name)) and not _blank(value)
    ]
    return changes


def _retire(entity: Entity, other: dict[str, Any], keep_id: int) -> list[Change]:
    changes = []
    if entity.name == "Company":
        marked = f"{other['companyName']} [merged into {keep_id}]"
        changes.append(
            Change(
                entity.name,
                other["id"],
                "companyName",
                other["companyName"],
                marked[:100],
                "retire",
            )
        )
        changes.append(
            Change(entity.name, other["id"], "isActive", other.get("isActive"), False, "retire")
        )
    else:
        changes.append(
            Change(entity.name, other["id"], "isActive", other.get("isActive"), 0, "retire")
        )
        if other.get("primaryContact"):
            changes.append(
                Change(entity.name, other["id"], "primaryContact", True, False, "retire")
            )
    return changes


def _pointing_at(conn: Connection, child: Entity, link: str, target: int) -> list[dict[str, Any]]:
    ids = repository.find_ids(conn, child, {link: target}, limit=100_000)
    return repository.get_many(conn, child, ids)


def _demote_primary(
    conn: Connection, child: Entity, record: dict[str, Any], keep: dict[str, Any]
) -> list[Change]:
    """A moved primary location/contact stays primary only if KEEP has none."""
    flag = {"CompanyLocation": "isPrimary", "Contact": "primaryContact"}.get(child.name)
    if flag is None or not record.get(flag) or child.parent is None:
        return []
    if not repository.find_ids(conn, child, {child.parent.field: keep["id"], flag: True}, limit=1):
        return []
    return [Change(child.name, record["id"], flag, True, False, "adjust")]


def _warnings(
    conn: Connection, entity: Entity, keep: dict[str, Any], other: dict[str, Any]
) -> list[str]:
    if entity.name == "Contact":
        if keep.get("companyID") == other.get("companyID"):
            return []
        return [
            f"The contacts are at different companies; contact {keep['id']} stays at "
            f"company {keep.get('companyID')}"
        ]
    return _shared_emails(conn, keep["id"], other["id"])


def _shared_emails(conn: Connection, keep_id: int, other_id: int) -> list[str]:
    """Contacts that will sit side by side at KEEP with the same e-mail address."""
    from mspcrm.domain.entities import CONTACT

    def emails(company: int) -> dict[str, int]:
        ids = repository.find_ids(conn, CONTACT, {"companyID": company}, limit=100_000)
        return {
            str(c["emailAddress"]).lower(): c["id"]
            for c in repository.get_many(conn, CONTACT, ids)
            if c.get("emailAddress")
        }

    kept, moving = emails(keep_id), emails(other_id)
    return [
        f"Contacts {kept[email]} and {moving[email]} will both be at company {keep_id} with "
        f"{email}: consider merging them"
        for email in sorted(kept.keys() & moving.keys())
    ]
