"""Client onboarding in process: ``workflows/onboarding.py`` over the services, in one
transaction.

The duplicate check uses the indexed check of ``services/duplicates.py``; the plan and
its steps are applied with ``create_in``/``update_in`` in one ``db.write()``: any failing
step rolls back everything and the error names the step, the key and the field. A dry
run applies the plan and rolls it back, so it checks exactly what a real run would.
"""

from __future__ import annotations

from typing import Any

from mspcrm.domain.entities import COMPANY
from mspcrm.domain.onboarding import Step, fingerprint, read_document
from mspcrm.services.context import Actor
from mspcrm.services.duplicates import DuplicateService
from mspcrm.services.port import ServicePort
from mspcrm.services.records import RecordService
from mspcrm.workflows import onboarding


class _RolledBack(Exception):
    """Raised inside the transaction of a dry run, so nothing it wrote stays."""


class OnboardingService:
    def __init__(self, records: RecordService, duplicates: DuplicateService) -> None:
        self.records, self.duplicates = records, duplicates

    def check(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.duplicates.report(COMPANY.name, body, limit=5)

    def onboard(
        self,
        document: Any,
        actor: Actor,
        *,
        dry_run: bool = False,
        expected_fingerprint: str | None = None,
    ) -> dict[str, Any]:
        """Onboard (or, with ``dry_run``, plan) one client; the result lists every step."""
        doc = read_document(document)
        found = onboarding.duplicate_check(ServicePort(self.records), doc, self.check)
        steps: list[Step] = []
        planned = ""
        try:
            with self.records.db.write() as conn:
                port = ServicePort(self.records, conn, actor)
                steps = onboarding.plan(port, doc, expected_fingerprint)
                planned = fingerprint(steps)  # of the plan, before the writes fill in ids
                onboarding.apply(port, steps)
                if dry_run:
                    raise _RolledBack
        except _RolledBack:
            pass
        return onboarding.result(steps, planned, found, dry_run=dry_run)
