"""Workflow tools: onboarding (plan, then confirm), contact deactivation, tree, roll-up, audit.

Each runs the same workflow as the CLI and the native API: through ``/api/v1`` where the
target answers it, else over the plain Autotask API (``mspcrm.workflow_client``).
"""

from __future__ import annotations

from typing import Any

from mspcrm.errors import ConflictError
from mspcrm.mcp import safety
from mspcrm.mcp.schemas import CONFIRM_LARGE, IDEMPOTENCY_KEY, obj
from mspcrm.mcp.toolbox import Toolbox, ToolSpec

ID = {"type": "integer"}
DOCUMENT = {
    "type": "object",
    "description": "The onboarding document: company, primaryContact, sites, contract, notes "
    "(see onboarding_template).",
}


def onboarding_template(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    return {"template": box.target.workflows.onboarding_template()}


def onboarding_plan(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    plan = box.target.workflows.onboard(dict(args["document"]), dry_run=True)
    return {
        "plan": plan,
        "next": "Show the plan to the user; to carry it out call onboard_client with the same "
        f"document and fingerprint={_fingerprint(plan)!r}.",
    }


def _fingerprint(plan: Any) -> Any:
    return plan.get("fingerprint") if isinstance(plan, dict) else None


def onboard_client(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    document = dict(args["document"])
    company = document.get("company") or {}
    existing = company.get("id") or document.get("useExisting")
    if existing is not None:
        safety.check_company_update(box.policy, int(existing), company)
    try:
        done = box.target.workflows.onboard(document, fingerprint=str(args["fingerprint"]))
    except ConflictError as exc:
        raise safety.Refusal(
            "onboarding_refused",
            f"Nothing was written: {exc}",
            "Call onboarding_plan again (the data or the document changed, or a likely "
            "existing client was found: name it with company.id or useExisting).",
        ) from None
    return {"outcome": "onboarded", "result": done, "attributedTo": box.policy.attribution()}


def deactivate_contact(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    successor = args.get("successor_id")
    done = box.target.workflows.contact_deactivate(
        int(args["contact_id"]),
        successor_id=None if successor is None else int(successor),
        force=bool(args.get("force", False)),
    )
    return {"outcome": "deactivated", "result": done, "attributedTo": box.policy.attribution()}


def company_tree(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    tree = box.target.workflows.company_tree(int(args["company_id"]))
    return dict(tree) if isinstance(tree, dict) else {"tree": tree}


def company_rollup(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    rollup = box.target.workflows.company_rollup(int(args["company_id"]))
    return dict(rollup) if isinstance(rollup, dict) else {"rollup": rollup}


def data_quality_audit(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    rules = args.get("rules")
    found = box.target.workflows.audit(
        rules=list(rules) if rules else None,
        duplicates=bool(args.get("duplicates", True)),
        yes=bool(args.get("confirm_large", False)),
    )
    return dict(found) if isinstance(found, dict) else {"findings": found}


def workflow_tools() -> list[ToolSpec]:
    return [
        ToolSpec(
            "onboarding_template",
            "The onboarding document's template, with comments.",
            obj([]),
            onboarding_template,
        ),
        ToolSpec(
            "onboarding_plan",
            "Plan onboarding a client in one transaction (company, primary contact, sites with "
            "one primary, contract and service level, notes). Writes nothing; returns each "
            "step (create/update/unchanged) and a fingerprint. A likely existing client stops "
            "the plan: name it with company.id or useExisting.",
            obj(["document"], document=DOCUMENT),
            onboarding_plan,
        ),
        ToolSpec(
            "onboard_client",
            "Carry out an onboarding exactly as onboarding_plan described: pass that plan's "
            "fingerprint. All or nothing; running the same document again changes nothing.",
            obj(
                ["document", "fingerprint", "idempotency_key"],
                document=DOCUMENT,
                fingerprint={"type": "string"},
                idempotency_key=IDEMPOTENCY_KEY,
            ),
            onboard_client,
            writes=True,
        ),
        ToolSpec(
            "deactivate_contact",
            "Mark a contact inactive (someone who left). A primary contact needs a successor "
            "(successor_id), who becomes primary, unless force is true.",
            obj(
                ["contact_id", "idempotency_key"],
                contact_id=ID,
                successor_id=ID,
                force={"type": "boolean", "default": False},
                idempotency_key=IDEMPOTENCY_KEY,
            ),
            deactivate_contact,
            writes=True,
            destructive=True,
        ),
        ToolSpec(
            "company_tree",
            "A company's ancestors and descendants (parent/child tree).",
            obj(["company_id"], company_id=ID),
            company_tree,
        ),
        ToolSpec(
            "company_rollup",
            "Totals over a company and all its descendants: contacts, sites, open "
            "opportunities (count, amount, weighted amount) and contracts.",
            obj(["company_id"], company_id=ID),
            company_rollup,
        ),
        ToolSpec(
            "data_quality_audit",
            "Data-quality findings, each naming the record and the fix: no account manager, no "
            "primary contact or site, active contacts at Dead companies, free-mail or invalid "
            "e-mail, unparseable phones, stale opportunities, near-duplicates, naming.",
            obj(
                [],
                rules={"type": "array", "items": {"type": "string"}},
                duplicates={"type": "boolean", "default": True},
                confirm_large=CONFIRM_LARGE,
            ),
            data_quality_audit,
        ),
    ]
