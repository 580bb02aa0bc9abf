"""Reports in process: ``workflows/reports.py`` over the services (short read transactions)."""

from __future__ import annotations

from typing import Any

from mspcrm.services.port import ServicePort
from mspcrm.services.records import RecordService
from mspcrm.workflows import reports


class ReportService:
    def __init__(self, records: RecordService) -> None:
        self.records = records

    def companies(self, by: str, *, rollup: int | None = None) -> dict[str, Any]:
        return reports.companies(ServicePort(self.records), by, rollup=rollup)

    def pipeline(self, by: str, *, rollup: int | None = None) -> dict[str, Any]:
        return reports.pipeline(ServicePort(self.records), by, rollup=rollup)
