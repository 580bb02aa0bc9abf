"""Account transfer: move account ownership (``ownerResourceID``) from one resource to another.

Autotask's "account transfer" in bulk: every company the old account manager
owns (optionally narrowed by a filter in the Autotask query language), and
optionally their open opportunities, in one transaction, one history entry per
record. A dry run lists what would move and writes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.entities import COMPANY, OPPORTUNITY, RESOURCE
from mspcrm.domain.entity import Entity
from mspcrm.errors import NotFoundError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.records import RecordService
from mspcrm.store import repository
from mspcrm.store.database import Database
from mspcrm.store.hierarchy import OPEN_OPPORTUNITY_STATUSES

BATCH = 500


class _RolledBack(Exception):
    pass


class TransferService:
    def __init__(self, db: Database, records: RecordService) -> None:
        self.db, self.records = db, records

    def transfer(
        self,
        from_id: int,
        to_id: int,
        actor: Actor,
        *,
        filter: list[Any] | None = None,
        opportunities: bool = False,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        if from_id == to_id:
            raise ValidationError("from and to are the same resource: nothing would move")
        result: dict[str, Any] = {}
        try:
            with self.db.write() as conn:
                self._require_resource(conn, to_id, "to")
                companies = self._select(conn, COMPANY, from_id, filter or [])
                opps = self._open_opportunities(conn, companies, from_id) if opportunities else []
                self._move(conn, COMPANY, companies, to_id, actor)
                self._move(conn, OPPORTUNITY, opps, to_id, actor)
                result = _result(from_id, to_id, companies, opps, dry_run=dry_run)
                if dry_run:
                    raise _RolledBack
        except _RolledBack:
            pass
        return result

    def _require_resource(self, conn: Connection, resource_id: int, role: str) -> None:
        if not repository.existing_ids(conn, RESOURCE, [resource_id]):
            raise NotFoundError(f"Resource not found: {role} resource {resource_id} does not exist")

    def _select(
        self, conn: Connection, entity: Entity, owner: int, extra: list[Any]
    ) -> list[dict[str, Any]]:
        if not isinstance(extra, list):
            raise ValidationError("filter must be a list of Autotask filter conditions")
        owned = {"op": "eq", "field": "ownerResourceID", "value": owner}
        query = self.records.parse(conn, entity, {"filter": [owned, *extra]})
        found: list[dict[str, Any]] = []
        after: int | None = None
        while True:
            page = repository.select_page(conn, entity, query.where, limit=BATCH, after_id=after)
            found.extend(page)
            if len(page) < BATCH:
                return found
            after = page[-1]["id"]

    def _open_opportunities(
        self, conn: Connection, companies: list[dict[str, Any]], owner: int
    ) -> list[dict[str, Any]]:
        ids = [c["id"] for c in companies]
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), BATCH):
            condition = [
                {"op": "in", "field": "companyID", "value": ids[start : start + BATCH]},
                {"op": "in", "field": "status", "value": list(OPEN_OPPORTUNITY_STATUSES)},
            ]
            found.extend(self._select(conn, OPPORTUNITY, owner, condition))
        return found

    def _move(
        self,
        conn: Connection,
        entity: Entity,
        records: list[dict[str, Any]],
        to_id: int,
        actor: Actor,
    ) -> None:
        for record in records:
            body = {"ownerResourceID": to_id}
            self.records.update_in(conn, entity, body, actor, record_id=record["id"])


def _result(
    from_id: int,
    to_id: int,
    companies: list[dict[str, Any]],
    opps: list[dict[str, Any]],
    *,
    dry_run: bool,
) -> dict[str, Any]:
    return {
        "dryRun": dry_run,
        "fromResourceID": from_id,
        "toResourceID": to_id,
        "companies": [{"id": c["id"], "companyName": c["companyName"]} for c in companies],
        "opportunities": [
            {"id": o["id"], "title": o["title"], "companyID": o["companyID"]} for o in opps
        ],
        "counts": {"companies": len(companies), "opportunities": len(opps)},
    }
