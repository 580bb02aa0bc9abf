"""Parent/child companies in process: ``workflows/hierarchy.py`` over the services (short
read transactions). Cycle prevention on write is a company rule (``rules/companies.py``)."""

from __future__ import annotations

from typing import Any

from mspcrm.services.port import ServicePort
from mspcrm.services.records import RecordService
from mspcrm.workflows import hierarchy
from mspcrm.workflows.hierarchy import MAX_DEPTH


class HierarchyService:
    def __init__(self, records: RecordService) -> None:
        self.records = records
        self.db = records.db

    def tree(self, company_id: int, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
        """The company, its ancestors (parent first) and its descendants (by depth)."""
        with self.db.read() as conn:
            return hierarchy.tree(
                ServicePort(self.records, conn, None), company_id, max_depth=max_depth
            )

    def descendants(self, company_id: int, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
        port = ServicePort(self.records)
        return hierarchy.descendants(port, company_id, max_depth=max_depth)

    def subtree_ids(self, company_id: int) -> list[int]:
        return hierarchy.subtree_ids(ServicePort(self.records), company_id)

    def rollup(self, company_id: int) -> dict[str, Any]:
        """Totals over the company and everything below it, and each company's own numbers."""
        return hierarchy.rollup(ServicePort(self.records), company_id)
