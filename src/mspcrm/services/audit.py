"""The data-quality audit in process: ``workflows/audit.py`` over the services, with the
indexed duplicate scan of ``services/duplicates.py`` for the clusters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mspcrm.services.duplicates import DuplicateService
from mspcrm.services.port import ServicePort
from mspcrm.services.records import RecordService
from mspcrm.store.duplicate_keys import default_region
from mspcrm.workflows import audit


class AuditService:
    def __init__(self, records: RecordService, duplicates: DuplicateService) -> None:
        self.records, self.duplicates = records, duplicates

    def run(
        self,
        *,
        rules: list[str] | None = None,
        duplicates: bool = True,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Every finding (or those of ``rules``), worst first, with counts by severity."""
        audit.rules_wanted(rules, duplicates)  # a bad rule name fails before any read
        with self.records.db.read() as conn:
            region = default_region(conn)
        return audit.run(
            ServicePort(self.records),
            rules=rules,
            duplicates=duplicates,
            now=now,
            scan=self.duplicates.scan_report,
            region=region,
        )
