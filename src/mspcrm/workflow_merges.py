"""Merges on a target without ``/api/v1`` (a real Autotask tenant): the plan of
``workflows/merge.py`` carried out by PATCHes, logged locally beside the profiles.

Autotask cannot delete companies: the other company is deactivated and renamed
``... [merged into N]``, which its users see. ``undo`` reads the local log, refuses with
what changed if the records moved on since, and otherwise puts every value back.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from mspcrm.errors import ConflictError, NotFoundError
from mspcrm.journal import MergeLog
from mspcrm.workflows import merge as merging
from mspcrm.workflows.merge import Change
from mspcrm.workflows.port import Port


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge(
    port: Port, log: MergeLog, entity: str, keep_id: int, other_id: int, fingerprint: str | None
) -> dict[str, Any]:
    plan = merging.plan(port, entity, keep_id, other_id)
    if fingerprint and fingerprint != plan.fingerprint:
        raise ConflictError(
            f"The records changed since the plan {fingerprint} was made: plan the merge again"
        )
    merge_id = log.add(
        {"entity": plan.entity, "keepID": keep_id, "otherID": other_id, "createdAt": _now(),
         "undoneAt": None, "status": "running", "changes": [asdict(c) for c in plan.changes]}
    )  # fmt: skip
    merging.apply(port, plan.changes, undo=False)
    log.update(merge_id, status="done")
    return {"mergeID": merge_id, "dryRun": False, "plan": plan.to_wire()}


SHOWN = ("id", "entity", "keepID", "otherID", "createdAt", "undoneAt", "changes")


def get(log: MergeLog, merge_id: int) -> dict[str, Any]:
    """The log entry, in the shape of the native ``merges/{id}`` (without our bookkeeping)."""
    return {k: _entry(log, merge_id)[k] for k in SHOWN}


def _entry(log: MergeLog, merge_id: int) -> dict[str, Any]:
    entry = log.get(merge_id)
    if entry is None:
        raise NotFoundError(f"Merge not found: no merge with id {merge_id} in {log.file.where}")
    return entry


def undo(port: Port, log: MergeLog, merge_id: int) -> dict[str, Any]:
    entry = _entry(log, merge_id)
    if entry.get("undoneAt") is not None:
        raise ConflictError(f"Merge {merge_id} was already undone")
    changes = [Change(**c) for c in entry["changes"]]
    problems = merging.unchanged_problems(port, changes)
    if problems:
        raise ConflictError(f"Merge {merge_id} cannot be undone: records changed since", *problems)
    merging.apply(port, list(reversed(changes)), undo=True)
    log.update(merge_id, undoneAt=_now(), status="undone")
    return {"mergeID": merge_id, "restored": len(changes)}
