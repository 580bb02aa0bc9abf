"""The read tools: a company in one call, records, metadata, history, duplicates, merge plans."""

from __future__ import annotations

from typing import Any

from mspcrm.errors import NotFoundError
from mspcrm.mcp.toolbox import Toolbox
from mspcrm.sdk import F

CLOSED_OPPORTUNITY_LABELS = {"lost", "closed", "implemented"}
CHILD_LIMIT = 200


def require(box: Toolbox, path: str, record_id: int) -> dict[str, Any]:
    record = box.client.entity(path).get(record_id)
    if record is None:
        raise NotFoundError(f"No {path} record with id {record_id}")
    return record


def labelled(box: Toolbox, path: str, record: dict[str, Any]) -> dict[str, Any]:
    """The record with ``<field>Label`` next to each picklist value."""
    out = dict(record)
    for name, picklist in box.client.describe(path).picklists.items():
        value = record.get(name)
        if value is not None:
            out[f"{name}Label"] = picklist.label(value)
    return out


def open_opportunity_statuses(box: Toolbox) -> list[Any]:
    picklist = box.client.describe("Opportunities").picklist("status")
    return [
        v
        for label, v in picklist.by_label.items()
        if label.lower() not in CLOSED_OPPORTUNITY_LABELS
    ]


def listing(box: Toolbox, name: str, where: Any) -> list[dict[str, Any]]:
    entity = box.entity(name)
    records = box.client.entity(entity.path).query(where, max_records=CHILD_LIMIT)
    return [box.summary(entity, r) for r in records]


def company_360(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    company_id = int(args["company_id"])
    company = labelled(box, "Companies", require(box, "Companies", company_id))
    of_company = F("companyID").eq(company_id)
    parent_id = company.get("parentCompanyID")
    parent = box.client.companies.get(parent_id) if parent_id is not None else None
    opportunities = of_company & F("status").in_(open_opportunity_statuses(box))
    result = {
        "company": company,
        "parent": {"id": parent["id"], "companyName": parent["companyName"]} if parent else None,
        "childCompanies": listing(box, "Company", F("parentCompanyID").eq(company_id)),
        "contacts": listing(box, "Contact", of_company),
        "sites": listing(box, "CompanyLocation", of_company),
        "openOpportunities": listing(box, "Opportunity", opportunities),
        "contracts": listing(box, "Contract", of_company),
    }
    result["counts"] = {k: len(v) for k, v in result.items() if isinstance(v, list)}
    return result


def get_record(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    entity = box.entity(str(args["entity"]))
    record = require(box, entity.path, int(args["id"]))
    return {"entity": entity.path, "record": labelled(box, entity.path, record)}


def describe_entity(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    entity = box.entity(str(args["entity"]))
    description = box.describe(entity)
    fields = [
        {
            "name": f.name,
            "type": f.data_type,
            "required": f.is_required,
            "readOnly": f.is_read_only,
            **({"maxLength": f.length} if f.length else {}),
            **({"references": f.reference_entity_type} if f.reference_entity_type else {}),
            **({"picklist": dict(f.picklist.by_label)} if f.picklist else {}),
        }
        for f in description.fields.values()
    ]
    return {
        "entity": entity.path,
        "required": description.required,
        "parent": entity.parent.field if entity.parent else None,
        "fields": fields,
        "note": "Picklists map label -> value; write tools accept either.",
    }


def record_history(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    entity = box.entity(str(args["entity"]))
    record_id = int(args["id"])
    history = box.client.native.history(entity.path, record_id)
    return {
        "entity": entity.path,
        "id": record_id,
        "history": history.get("history", []),
        "agentWrites": box.keys.writes_for(entity.path, record_id),
    }


def duplicate_scan(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    entity = box.entity(str(args["entity"]))
    found = box.target.workflows.duplicates_scan(
        entity.path,
        include_ambiguous=bool(args.get("include_ambiguous")),
        yes=bool(args.get("confirm_large", False)),
    )
    return dict(found) if isinstance(found, dict) else {"entity": entity.path, "clusters": found}


def merge_plan(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    entity = box.entity(str(args["entity"]))
    plan = box.target.workflows.merge_plan(entity.path, int(args["keep_id"]), int(args["other_id"]))
    return {
        "plan": plan,
        "next": "Show the plan to the user; to do it, call merge with the same ids and "
        f"fingerprint={plan.get('fingerprint')!r}. A changed record changes the fingerprint.",
    }
