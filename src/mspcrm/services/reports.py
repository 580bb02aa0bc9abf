"""Reports: companies by type, classification, territory, segment or account manager; the
pipeline by stage or status with counts, amounts and weighted amounts (amount x probability).

Any report can be rolled up over a company hierarchy (the company and everything
below it). Picklist values are shown with their labels, account managers by name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.entities import COMPANY, OPPORTUNITY, RESOURCE
from mspcrm.domain.entity import Entity
from mspcrm.errors import ValidationError
from mspcrm.services.hierarchy import HierarchyService
from mspcrm.services.records import RecordService
from mspcrm.store import repository
from mspcrm.store.reports import companies_by, pipeline_by

COMPANY_GROUPS = {
    "type": "companyType",
    "classification": "classification",
    "territory": "territoryID",
    "segment": "marketSegmentID",
    "owner": "ownerResourceID",
}
PIPELINE_GROUPS = {"stage": "stage", "status": "status", "owner": "ownerResourceID"}
NONE_LABEL = "(none)"


def _field(groups: dict[str, str], by: str, report: str) -> str:
    if by not in groups:
        raise ValidationError(f"Invalid --by {by!r} for {report}: use one of {', '.join(groups)}")
    return groups[by]


class ReportService:
    def __init__(self, records: RecordService, hierarchy: HierarchyService) -> None:
        self.records, self.hierarchy = records, hierarchy
        self.db = records.db

    def companies(self, by: str, *, rollup: int | None = None) -> dict[str, Any]:
        field = _field(COMPANY_GROUPS, by, "companies")
        with self.db.read() as conn:
            ids = None if rollup is None else self.hierarchy.subtree_ids(conn, rollup)
            groups = companies_by(conn, field, ids)
            labels = self._labels(conn, COMPANY, field, [g[0] for g in groups])
        rows = [{"key": k, "label": labels[k], "count": n} for k, n in groups]
        rows.sort(key=lambda r: (-r["count"], r["label"]))
        total = {"count": sum(r["count"] for r in rows)}
        return {"report": "companies", "by": by, "rollup": rollup, "rows": rows, "total": total}

    def pipeline(self, by: str, *, rollup: int | None = None) -> dict[str, Any]:
        field = _field(PIPELINE_GROUPS, by, "pipeline")
        with self.db.read() as conn:
            ids = None if rollup is None else self.hierarchy.subtree_ids(conn, rollup)
            groups = pipeline_by(conn, field, ids)
            labels = self._labels(conn, OPPORTUNITY, field, [g[0] for g in groups])
        rows = [
            {
                "key": k,
                "label": labels[k],
                "count": n,
                "amount": round(amount, 2),
                "weightedAmount": round(weighted, 2),
            }
            for k, n, amount, weighted in groups
        ]
        rows.sort(key=lambda r: (-r["amount"], r["label"]))
        total = {
            name: round(sum(r[name] for r in rows), 2)
            for name in ("count", "amount", "weightedAmount")
        }
        total["count"] = int(total["count"])
        return {"report": "pipeline", "by": by, "rollup": rollup, "rows": rows, "total": total}

    def _labels(
        self, conn: Connection, entity: Entity, field: str, keys: list[Any]
    ) -> dict[Any, str]:
        if field == "ownerResourceID":
            people = repository.get_many(conn, RESOURCE, [k for k in keys if k is not None])
            names = {p["id"]: f"{p['firstName']} {p['lastName']}".strip() for p in people}
        else:
            values = self.records.picklists(conn, entity).get(field, [])
            names = {v.value: v.label for v in values}
        return {k: NONE_LABEL if k is None else names.get(k, str(k)) for k in keys}
