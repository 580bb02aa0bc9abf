"""Client onboarding in one transaction: plan, check for a likely existing client, apply.

``onboard(document, actor)`` reads the document, stops on a likely duplicate
client (unless the document names the company to use), plans every step
against what exists (``onboarding_plan``) and applies it in one
``db.write()`` transaction with ``create_in``/``update_in``: any failing step
rolls back everything and the error names the step, the key and the field.
A dry run applies the plan and rolls it back, so it checks exactly what a real
run would. Running the same document again plans only ``unchanged`` steps.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.duplicates import COMPANY_FIELDS
from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION
from mspcrm.domain.entity import Registry
from mspcrm.domain.onboarding import (
    CREATE,
    UNCHANGED,
    OnboardingDocument,
    Step,
    fingerprint,
    message,
    read_document,
    summary,
)
from mspcrm.errors import ConflictError, MspcrmError
from mspcrm.services.context import Actor
from mspcrm.services.duplicates import DuplicateService
from mspcrm.services.onboarding_plan import Planner, step_error
from mspcrm.services.records import RecordService
from mspcrm.store import repository
from mspcrm.store.database import Database

_SPACES = re.compile(r"\s+")


class _RolledBack(Exception):
    """Raised inside the transaction of a dry run, so nothing it wrote stays."""


class OnboardingService:
    def __init__(
        self, db: Database, registry: Registry, records: RecordService, dupes: DuplicateService
    ) -> None:
        self.db, self.registry, self.records, self.duplicates = db, registry, records, dupes

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
        check = self._duplicate_check(doc)
        steps: list[Step] = []
        try:
            with self.db.write() as conn:
                steps = Planner(conn, self.records, doc).plan()
                planned = fingerprint(steps)
                if expected_fingerprint and expected_fingerprint != planned:
                    raise ConflictError(
                        f"The onboarding plan changed since fingerprint {expected_fingerprint} "
                        f"(now {planned}): review the new plan and apply that"
                    )
                self._apply(conn, steps, actor)
                if dry_run:
                    raise _RolledBack
        except _RolledBack:
            pass
        return self._result(steps, planned, check, dry_run=dry_run)

    def _result(
        self, steps: list[Step], planned: str, check: dict[str, Any] | None, *, dry_run: bool
    ) -> dict[str, Any]:
        company = steps[0]
        counts = summary(steps)
        return {
            "dryRun": dry_run,
            "companyID": None if dry_run and company.action == CREATE else company.record_id,
            "fingerprint": planned,
            "changed": bool(counts["create"] or counts["update"]),
            "message": message(steps, dry_run=dry_run),
            "summary": counts,
            "duplicateCheck": check,
            "steps": [_wire(s, dry_run) for s in steps],
        }

    # ---- the duplicate check ----------------------------------------------------------
    def _duplicate_check(self, doc: OnboardingDocument) -> dict[str, Any] | None:
        """Stop on a likely existing client, unless the document names the company to use."""
        name = _SPACES.sub(" ", str(doc.company.get("companyName") or "")).strip()
        if doc.company_id is not None or not name:
            return None
        with self.db.read() as conn:
            if repository.find_ids(conn, COMPANY, {"companyName": name}, limit=1):
                return None  # the same natural key: this client, onboarded before
        body = {k: doc.company[k] for k in COMPANY_FIELDS if doc.company.get(k) is not None}
        try:
            report = self.duplicates.report(COMPANY.name, body, limit=5)
        except MspcrmError as exc:
            raise step_error(exc, "duplicate-check") from exc
        if report["verdict"] != "unmatched":
            found = "; ".join(
                f"company {m['id']} {m['name']!r} (score {m['score']}, {m['verdict']})"
                for m in report["matches"]
                if m["verdict"] != "unmatched"
            )
            raise ConflictError(
                f"step duplicate-check: {name!r} looks like an existing client: {found}. "
                "Say which company to use with useExisting: ID (or company.id), "
                "or change the name if it is a different client"
            )
        return report

    # ---- applying ----------------------------------------------------------------------
    def _apply(self, conn: Connection, steps: list[Step], actor: Actor) -> None:
        made: dict[str, int | None] = {}
        adopt: int | None = None  # the primary location a new company gets from its address
        for step in steps:
            if step.action != UNCHANGED:
                try:
                    adopt = self._write(conn, step, actor, made, adopt)
                except MspcrmError as exc:
                    raise step_error(exc, step.step, step.key) from exc
            if step.ref:
                made[step.ref] = step.record_id

    def _write(
        self,
        conn: Connection,
        step: Step,
        actor: Actor,
        made: dict[str, int | None],
        adopt: int | None,
    ) -> int | None:
        entity = self.registry.by_name(step.entity)
        body = dict(step.values)
        if step.action != CREATE:
            self.records.update_in(conn, entity, body, actor, record_id=step.record_id)
            return adopt
        for name, ref in step.links.items():
            body.setdefault(name, made.get(ref))
        if step.step == "site" and body.get("isPrimary") and adopt is not None:
            self.records.update_in(conn, entity, body, actor, record_id=adopt)
            step.record_id = adopt
            return None
        step.record_id = self.records.create_in(conn, entity, body, actor)
        if step.step == "company":
            equals = {"companyID": step.record_id, "isPrimary": True}
            found = repository.find_ids(conn, COMPANY_LOCATION, equals, limit=1)
            return found[0] if found else None
        return adopt


def _wire(step: Step, dry_run: bool) -> dict[str, Any]:
    body = step.to_wire()
    if dry_run and step.action == CREATE:
        body["id"] = None
    return body
