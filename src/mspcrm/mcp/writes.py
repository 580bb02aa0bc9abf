"""The write tools: create (find-or-create for companies and contacts), update, merge, undo.

Each returns one shape: ``{"outcome", "entity", "id", "record", "attributedTo"}``.
The safety rules run before anything is written; the idempotency wrapper is in
``mspcrm.mcp.server``.
"""

from __future__ import annotations

from typing import Any

from mspcrm.domain.duplicates import (
    FREE_MAIL_DOMAINS,
)
from mspcrm.domain.entity import Entity
from mspcrm.duplicate_lookup import check_record
from mspcrm.errors import ConflictError, ValidationError
from mspcrm.mcp import safety
from mspcrm.mcp.reads import require
from mspcrm.mcp.schemas import coerce_picklists
from mspcrm.mcp.search import differences
from mspcrm.mcp.toolbox import Toolbox

CONTROL = ("idempotency_key", "use_existing_id", "force_create")
FIND_OR_CREATE = ("Company", "Contact")


def body_of(box: Toolbox, entity: Entity, args: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in args.items() if k not in CONTROL}
    return coerce_picklists(box.describe(entity), body)


def outcome(
    box: Toolbox, entity: Entity, kind: str, record_id: int, **extra: Any
) -> dict[str, Any]:
    record = box.client.entity(entity.path).get(record_id)
    return {
        "outcome": kind,
        "entity": entity.path,
        "id": record_id,
        "record": record,
        "attributedTo": box.policy.attribution(),
        **extra,
    }


def insert(box: Toolbox, entity: Entity, body: dict[str, Any]) -> int:
    """POST, through the parent's child route when the entity has one (as Autotask requires)."""
    if entity.parent is None:
        return box.client.entity(entity.path).create(body)
    parent_id = body.get(entity.parent.field)
    if parent_id is None:
        raise ValidationError(f"{entity.parent.field} is required to create a {entity.name}")
    parent = box.registry.by_name(entity.parent.entity)
    children = box.client.entity(parent.path).children(int(parent_id), entity.parent.segment)
    return children.create(body)


def duplicate_check(box: Toolbox, entity: Entity, body: dict[str, Any]) -> dict[str, Any]:
    """The server's scored check, or (a real Autotask tenant) the same scorer run here."""
    return check_record(box.client, entity, body)


def find_or_create(box: Toolbox, entity: Entity, args: dict[str, Any]) -> dict[str, Any]:
    body = body_of(box, entity, args)
    if args.get("use_existing_id") is not None:
        existing = require(box, entity.path, int(args["use_existing_id"]))
        return outcome(box, entity, "used_existing", existing["id"])
    if entity.name == "Company":
        safety.check_company_name(body.get("companyName"), FREE_MAIL_DOMAINS)
    check = duplicate_check(box, entity, body)
    matches = check.get("matches", [])
    if args.get("force_create") or check.get("verdict") == "unmatched" or not matches:
        record_id = insert(box, entity, body)
        return outcome(box, entity, "created", record_id, skippedCandidates=matches)
    if check["verdict"] == "matched":
        best = matches[0]
        named = {"differences": differences(best)} if differences(best) else {}
        return outcome(box, entity, "matched", int(best["id"]), match=best, **named)
    raise safety.Refusal(
        "ambiguous_match",
        f"{len(matches)} existing {entity.path} look like this one, and none clearly: "
        + "; ".join(f"{m['id']} {m.get('name', '')!r} (score {m['score']})" for m in matches[:5]),
        "Ask the user which one is meant. Call again with the same fields and "
        "use_existing_id=<id> to use it (nothing is written), or force_create=true if none is.",
        candidates=matches,
    )


def create(box: Toolbox, entity: Entity, args: dict[str, Any]) -> dict[str, Any]:
    if entity.name in FIND_OR_CREATE:
        return find_or_create(box, entity, args)
    record_id = insert(box, entity, body_of(box, entity, args))
    return outcome(box, entity, "created", record_id)


def update(box: Toolbox, entity: Entity, args: dict[str, Any]) -> dict[str, Any]:
    body = body_of(box, entity, args)
    record_id = int(body["id"])
    if entity.name == "Company":
        safety.check_company_update(box.policy, record_id, body)
        if "companyName" in body:
            safety.check_company_name(body["companyName"], FREE_MAIL_DOMAINS)
    if entity.parent is None:
        box.client.entity(entity.path).update(body)
    else:
        current = require(box, entity.path, record_id)
        parent = box.registry.by_name(entity.parent.entity)
        parent_id = int(current[entity.parent.field])
        box.client.entity(parent.path).children(parent_id, entity.parent.segment).update(body)
    return outcome(box, entity, "updated", record_id, changed=sorted(set(body) - {"id"}))


def merge(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    entity = box.entity(str(args["entity"]))
    keep, other = int(args["keep_id"]), int(args["other_id"])
    safety.check_merge(box.policy, entity.name, other)
    fingerprint = str(args["fingerprint"])
    try:
        done = box.client.native.merge(entity.path, keep, other, fingerprint=fingerprint)
    except ConflictError as exc:
        raise safety.Refusal(
            "fingerprint_mismatch",
            f"The merge was not done: {exc}",
            "Call merge_plan again, show the new plan to the user, and confirm with its "
            "fingerprint.",
        ) from None
    return {
        "outcome": "merged",
        "entity": entity.path,
        "id": keep,
        "mergeID": done.get("mergeID"),
        "plan": done.get("plan"),
        "attributedTo": box.policy.attribution(),
        "undo": f"merge_undo with merge_id={done.get('mergeID')}",
    }


def merge_undo(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    merge_id = int(args["merge_id"])
    undone = box.client.native.merge_undo(merge_id)
    return {
        "outcome": "merge_undone",
        "mergeID": merge_id,
        "result": undone,
        "attributedTo": box.policy.attribution(),
    }
