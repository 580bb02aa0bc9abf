"""Reversible merge of two companies or two contacts, in process.

The plan (fills, moves, retirement, warnings) and the check before an undo are
``workflows/merge.py``'s, read through the in-process port; this module carries a plan
out in one transaction (refusing if the fingerprint no longer matches), writing each
record once with its history entry and its duplicate keys, and logs it in ``merge_log``
so that ``undo`` can put each value back, unless a value was changed since, in which
case it refuses and says which.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Maintained, utc_now
from mspcrm.errors import ConflictError, NotFoundError
from mspcrm.services.context import Actor
from mspcrm.services.duplicates import reindex_record
from mspcrm.services.port import ServicePort
from mspcrm.services.records import RecordService
from mspcrm.store import history, repository
from mspcrm.store.schema import merge_log
from mspcrm.workflows import merge as merging
from mspcrm.workflows.merge import UDF_PREFIX, Change, MergePlan


class MergeService:
    def __init__(self, records: RecordService) -> None:
        self.records = records
        self.db, self.registry = records.db, records.registry

    def plan(self, entity_name: str, keep_id: int, other_id: int) -> MergePlan:
        return merging.plan(ServicePort(self.records), entity_name, keep_id, other_id)

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
        entity = merging.mergeable(entity_name)
        with self.db.write() as conn:
            self.db.lock(conn, f"merge:{entity.name}")
            plan = merging.plan(ServicePort(self.records, conn), entity.name, keep_id, other_id)
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
            problems = merging.unchanged_problems(ServicePort(self.records, conn), changes)
            if problems:
                raise ConflictError(
                    f"Merge {merge_id} cannot be undone: records changed since", *problems
                )
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
        for (entity_name, record_id), group in merging.grouped(changes).items():
            entity = self.registry.by_name(entity_name)
            current = repository.get(conn, entity, record_id)
            if current is None:
                raise NotFoundError(f"{entity.name} {record_id} no longer exists")
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
