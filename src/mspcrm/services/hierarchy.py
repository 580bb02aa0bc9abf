"""Parent/child companies: the tree around a company, descendant queries, subtree roll-ups.

Cycle prevention on write is a company rule (``rules/companies.py``); the reads
here are recursive CTEs (``store/hierarchy.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.entities import COMPANY
from mspcrm.errors import NotFoundError
from mspcrm.store import hierarchy, repository
from mspcrm.store.database import Database

TOTALS = (
    "contacts",
    "sites",
    "openOpportunities",
    "openAmount",
    "weightedAmount",
    "contracts",
    "contractRevenue",
)


def require_company(conn: Connection, company_id: int) -> None:
    if not repository.existing_ids(conn, COMPANY, [company_id]):
        raise NotFoundError(f"Company not found: no Company with id {company_id}")


class HierarchyService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def tree(self, company_id: int, *, max_depth: int = hierarchy.MAX_DEPTH) -> dict[str, Any]:
        """The company, its ancestors (parent first) and its descendants (by depth)."""
        with self.db.read() as conn:
            require_company(conn, company_id)
            nodes = hierarchy.descendants(conn, company_id, max_depth)
            above = hierarchy.ancestors(conn, company_id)
        return {"company": nodes[0], "ancestors": above, "descendants": nodes[1:]}

    def descendants(
        self, company_id: int, *, max_depth: int = hierarchy.MAX_DEPTH
    ) -> dict[str, Any]:
        with self.db.read() as conn:
            require_company(conn, company_id)
            nodes = hierarchy.descendants(conn, company_id, max_depth)
        return {"companyID": company_id, "items": nodes[1:]}

    def subtree_ids(self, conn: Connection, company_id: int) -> list[int]:
        require_company(conn, company_id)
        return [n["id"] for n in hierarchy.descendants(conn, company_id)]

    def rollup(self, company_id: int) -> dict[str, Any]:
        """Totals over the company and everything below it, and each company's own numbers."""
        with self.db.read() as conn:
            require_company(conn, company_id)
            nodes = hierarchy.descendants(conn, company_id)
            numbers = hierarchy.rollup_counts(conn, [n["id"] for n in nodes])
        rows = [{**node, **numbers[node["id"]]} for node in nodes]
        totals: dict[str, Any] = {name: sum(r[name] for r in rows) for name in TOTALS}
        for name in ("openAmount", "weightedAmount", "contractRevenue"):
            totals[name] = round(float(totals[name]), 2)
        return {
            "companyID": company_id,
            "companies": len(rows),
            "totals": totals,
            "byCompany": rows,
        }
