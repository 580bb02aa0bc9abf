"""Reports over the port: companies by type, classification, territory, segment or account
manager; the pipeline by stage, status or owner with counts, amounts and weighted amounts
(amount x probability / 100).

Any report can be rolled up over a company hierarchy (the company and everything below
it). Picklist values are shown with their labels, account managers by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mspcrm.domain.entities import COMPANY, OPPORTUNITY, RESOURCE
from mspcrm.domain.entity import Entity
from mspcrm.errors import ValidationError
from mspcrm.workflows.hierarchy import subtree_ids
from mspcrm.workflows.port import Port, Record, query_in

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


def _records(
    port: Port, entity: Entity, key: str, fields: tuple[str, ...], within: list[int] | None
) -> Iterable[Record]:
    if within is None:
        return port.query(entity.path, [], fields=fields)
    return query_in(port, entity.path, key, within, fields=fields)


def companies(port: Port, by: str, *, rollup: int | None = None) -> dict[str, Any]:
    field = _field(COMPANY_GROUPS, by, "companies")
    within = None if rollup is None else subtree_ids(port, rollup)
    counts: dict[Any, int] = {}
    for company in _records(port, COMPANY, "id", (field,), within):
        counts[company.get(field)] = counts.get(company.get(field), 0) + 1
    labels = _labels(port, COMPANY, field, list(counts))
    rows = [{"key": k, "label": labels[k], "count": n} for k, n in counts.items()]
    rows.sort(key=lambda r: (-r["count"], r["label"]))
    total = {"count": sum(r["count"] for r in rows)}
    return {"report": "companies", "by": by, "rollup": rollup, "rows": rows, "total": total}


def pipeline(port: Port, by: str, *, rollup: int | None = None) -> dict[str, Any]:
    field = _field(PIPELINE_GROUPS, by, "pipeline")
    within = None if rollup is None else subtree_ids(port, rollup)
    sums: dict[Any, list[float]] = {}
    fields = (field, "amount", "probability")
    for deal in _records(port, OPPORTUNITY, "companyID", fields, within):
        amount = float(deal.get("amount") or 0)
        weighted = amount * float(deal.get("probability") or 0) / 100
        row = sums.setdefault(deal.get(field), [0, 0.0, 0.0])
        row[0], row[1], row[2] = row[0] + 1, row[1] + amount, row[2] + weighted
    labels = _labels(port, OPPORTUNITY, field, list(sums))
    rows = [
        {
            "key": k,
            "label": labels[k],
            "count": int(n),
            "amount": round(amount, 2),
            "weightedAmount": round(weighted, 2),
        }
        for k, (n, amount, weighted) in sums.items()
    ]
    rows.sort(key=lambda r: (-r["amount"], r["label"]))
    total = {
        name: round(sum(r[name] for r in rows), 2) for name in ("count", "amount", "weightedAmount")
    }
    total["count"] = int(total["count"])
    return {"report": "pipeline", "by": by, "rollup": rollup, "rows": rows, "total": total}


def _labels(port: Port, entity: Entity, field: str, keys: list[Any]) -> dict[Any, str]:
    if field == "ownerResourceID":
        people = query_in(
            port, RESOURCE.path, "id", [k for k in keys if k is not None],
            fields=("firstName", "lastName"),
        )  # fmt: skip
        names = {p["id"]: f"{p['firstName']} {p['lastName']}".strip() for p in people}
    else:
        names = dict(port.picklist(entity.path, field))
    return {k: NONE_LABEL if k is None else names.get(k, str(k)) for k in keys}
