"""Account transfer over the port: move account ownership (``ownerResourceID``) from one
resource to another.

Every company the old account manager owns (optionally narrowed by a filter in the
Autotask query language) and, optionally, their open opportunities: one PATCH per
record. A dry run lists what would move and writes nothing.
"""

from __future__ import annotations

from typing import Any

from mspcrm.domain.entities import COMPANY, OPPORTUNITY, RESOURCE
from mspcrm.domain.entity import Entity
from mspcrm.errors import MspcrmError, NotFoundError, ValidationError
from mspcrm.workflows.hierarchy import OPEN_OPPORTUNITY_STATUSES
from mspcrm.workflows.port import Port, Record, eq, query_in

COMPANY_FIELDS = ("companyName", "ownerResourceID")
OPPORTUNITY_FIELDS = ("title", "companyID", "ownerResourceID")


def plan(
    port: Port,
    from_id: int,
    to_id: int,
    *,
    filter: list[Any] | None = None,
    opportunities: bool = False,
) -> tuple[list[Record], list[Record]]:
    """The companies and open opportunities that would move."""
    if from_id == to_id:
        raise ValidationError("from and to are the same resource: nothing would move")
    if not isinstance(filter or [], list):
        raise ValidationError("filter must be a list of Autotask filter conditions")
    if port.get(RESOURCE.path, to_id) is None:
        raise NotFoundError(f"Resource not found: to resource {to_id} does not exist")
    owned = eq("ownerResourceID", from_id)
    companies = list(port.query(COMPANY.path, [owned, *(filter or [])], fields=COMPANY_FIELDS))
    opps: list[Record] = []
    if opportunities:
        open_status = {"op": "in", "field": "status", "value": list(OPEN_OPPORTUNITY_STATUSES)}
        ids = [c["id"] for c in companies]
        found = query_in(
            port,
            OPPORTUNITY.path,
            "companyID",
            ids,
            [owned, open_status],
            fields=OPPORTUNITY_FIELDS,
        )
        opps = sorted(found, key=lambda o: int(o["id"]))
    return companies, opps


def _move(port: Port, records: list[tuple[Entity, Record]], to_id: int) -> None:
    """One PATCH per record; a failure names the record and how far the transfer got
    (without a transaction the records before it have moved: running the same transfer
    again moves the rest, since it selects only what the old owner still has)."""
    for done, (entity, record) in enumerate(records):
        try:
            port.update(entity.path, record["id"], {"ownerResourceID": to_id})
        except MspcrmError as exc:
            name = record.get("companyName") or record.get("title") or ""
            where = f"step transfer {entity.name} {record['id']} {name!r}"
            messages = [f"{where}: {m}" for m in exc.errors]
            if not port.transactional:
                messages.append(
                    f"{done} of {len(records)} records were moved before it; run the same "
                    "transfer again to move the rest"
                )
            raise type(exc)(*messages) from exc


def transfer(
    port: Port,
    from_id: int,
    to_id: int,
    *,
    filter: list[Any] | None = None,
    opportunities: bool = False,
    dry_run: bool = False,
) -> dict[str, Any]:
    companies, opps = plan(port, from_id, to_id, filter=filter, opportunities=opportunities)
    if not dry_run:
        _move(port, [(COMPANY, c) for c in companies] + [(OPPORTUNITY, o) for o in opps], to_id)
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
