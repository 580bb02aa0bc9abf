"""Client onboarding over the port: check for a likely existing client, plan, apply.

In process (``services/onboarding.py``) the whole of it runs in one database transaction.
Over the plain API there is none, so ``onboard`` keeps a journal: the plan's fingerprint,
each step before and after it runs, and every record created. An interrupted run (kill,
network loss, 429s) leaves the journal open; running the same document again plans again
(natural keys find what the first run created, so nothing is created twice) and carries
on. A run that fails on its data removes what it created where the target allows deletes
(contacts, locations; roles go with their contact) and names the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mspcrm.domain.duplicates import COMPANY_FIELDS
from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION
from mspcrm.domain.onboarding import (
    CREATE,
    UNCHANGED,
    OnboardingDocument,
    Step,
    fingerprint,
    json_value,
    message,
    read_document,
    summary,
)
from mspcrm.errors import ConflictError, MspcrmError, RateLimitedError
from mspcrm.workflows.onboarding_journal import Journal, JournalStore
from mspcrm.workflows.onboarding_plan import Planner, step_error
from mspcrm.workflows.port import REGISTRY, Port, eq

_SPACES = re.compile(r"\s+")
DuplicateCheck = Callable[[dict[str, Any]], dict[str, Any]]  # company body -> report


# ---- the duplicate check ------------------------------------------------------------------
def duplicate_check(
    port: Port, doc: OnboardingDocument, check: DuplicateCheck
) -> dict[str, Any] | None:
    """Stop on a likely existing client, unless the document names the company to use."""
    name = _SPACES.sub(" ", str(doc.company.get("companyName") or "")).strip()
    if doc.company_id is not None or not name:
        return None
    if next(port.query(COMPANY.path, [eq("companyName", name)], fields=("id",)), None):
        return None  # the same natural key: this client, onboarded before
    body = {k: doc.company[k] for k in COMPANY_FIELDS if doc.company.get(k) is not None}
    try:
        report = check(body)
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


# ---- planning and applying ----------------------------------------------------------------
def plan(port: Port, doc: OnboardingDocument, expected: str | None = None) -> list[Step]:
    """The steps; with ``expected``, refused unless the plan still has that fingerprint."""
    steps = Planner(port, doc).plan()
    planned = fingerprint(steps)
    if expected and expected != planned:
        raise ConflictError(
            f"The onboarding plan changed since fingerprint {expected} "
            f"(now {planned}): review the new plan and apply that"
        )
    return steps


def apply(
    port: Port, steps: list[Step], *, journal: Journal | None = None, adopt: int | None = None
) -> None:
    """Each step in order: create or update (unchanged steps only lend their id)."""
    made: dict[str, int | None] = {}
    for step in steps:
        if step.action != UNCHANGED:
            if journal is not None:
                journal.started(step)
            try:
                adopt = _write(port, step, made, adopt, journal)
            except MspcrmError as exc:
                raise step_error(exc, step.step, step.key) from exc
            if journal is not None:
                journal.finished(step, adopt)
        if step.ref:
            made[step.ref] = step.record_id


def _write(
    port: Port,
    step: Step,
    made: dict[str, int | None],
    adopt: int | None,
    journal: Journal | None,
) -> int | None:
    """One step's write; returns the automatic primary location a new company got."""
    entity = REGISTRY.by_name(step.entity)
    body = {name: json_value(value) for name, value in step.values.items()}
    parent = made.get("company") if entity.parent and entity.parent.entity == "Company" else None
    if step.action != CREATE:
        assert step.record_id is not None
        port.update(entity.path, step.record_id, body, parent_id=parent)
        return adopt
    for name, ref in step.links.items():
        body.setdefault(name, made.get(ref))
    if step.step == "site" and body.get("isPrimary") and adopt is not None:
        port.update(entity.path, adopt, body, parent_id=parent)
        step.record_id = adopt
        return None
    step.record_id = port.create(entity.path, body)
    if journal is not None:
        owner = None if entity.parent is None else body.get(entity.parent.field)
        journal.created(entity.path, step.record_id, owner, step)
    if step.step == "company":
        condition = [eq("companyID", step.record_id), eq("isPrimary", True)]
        found = next(port.query(COMPANY_LOCATION.path, condition, fields=("id",)), None)
        return None if found is None else int(found["id"])
    return adopt


def result(
    steps: list[Step], planned: str, check: dict[str, Any] | None, *, dry_run: bool
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


def _wire(step: Step, dry_run: bool) -> dict[str, Any]:
    body = step.to_wire()
    if dry_run and step.action == CREATE:
        body["id"] = None
    return body


# ---- over the plain API: journalled, resumable ---------------------------------------------
def onboard(
    port: Port,
    document: Any,
    *,
    check: DuplicateCheck,
    store: JournalStore,
    dry_run: bool = False,
    expected_fingerprint: str | None = None,
) -> dict[str, Any]:
    """Onboard (or, with ``dry_run``, plan) one client without a transaction."""
    doc = read_document(document)
    journal = Journal.open(store)
    found = None if journal.resuming else duplicate_check(port, doc, check)
    if journal.resuming and expected_fingerprint not in (None, journal.fingerprint):
        raise ConflictError(
            f"An interrupted onboarding of this file (fingerprint {journal.fingerprint}) is "
            f"still open: run it again without --fingerprint, or with that one, to finish it"
        )
    expected = None if journal.resuming else expected_fingerprint
    steps = plan(port, doc, expected)
    planned = fingerprint(steps)
    if journal.resuming and journal.fingerprint:
        planned = journal.fingerprint  # the plan the run was started with
    if dry_run:
        return {**result(steps, fingerprint(steps), found, dry_run=True), **journal.note()}
    journal.begin(planned, steps)
    try:
        apply(port, steps, journal=journal, adopt=journal.adopt)
    except RateLimitedError as exc:
        raise type(exc)(*exc.errors, journal.resume_hint()) from exc
    except MspcrmError as exc:
        raise type(exc)(*exc.errors, *journal.undo(port)) from exc
    resumed = journal.note()
    journal.close()
    return {**result(steps, planned, found, dry_run=False), **resumed}
