"""The tool list: fixed tools plus create/update tools generated for every writable entity."""

from __future__ import annotations

from typing import Any

from mspcrm.domain.entity import Entity
from mspcrm.mcp import reads, writes
from mspcrm.mcp.schemas import CONFIRM_LARGE, IDEMPOTENCY_KEY, create_schema, obj, update_schema
from mspcrm.mcp.search import search
from mspcrm.mcp.toolbox import SEARCHABLE, Toolbox, ToolSpec, tool_noun
from mspcrm.mcp.workflows import workflow_tools

ENTITY = {"type": "string", "description": "Entity: Companies, Contacts, sites, ..."}
ID = {"type": "integer"}
MERGEABLE = {"type": "string", "enum": ["Companies", "Contacts"]}


def read_tools() -> list[ToolSpec]:
    return [
        ToolSpec(
            "search",
            "Find companies (name, web or e-mail domain, phone), contacts ('First Last', "
            "e-mail, phone), sites or opportunities: ranked candidates with scores and "
            "reasons. Use it before every create and every write to a record the user named.",
            obj(
                ["entity", "query"],
                entity={"type": "string", "enum": sorted(SEARCHABLE)},
                query={"type": "string", "minLength": 1},
                company_id={"type": "integer", "description": "Only records of this company"},
                include_inactive={"type": "boolean", "default": False},
                limit={"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
            ),
            search,
            title="Search the CRM",
        ),
        ToolSpec(
            "get_company_360",
            "One company with everything around it in one call: the record (picklist labels "
            "included), parent and child companies, contacts, sites, open opportunities and "
            "contracts.",
            obj(["company_id"], company_id=ID),
            reads.company_360,
            title="Company overview",
        ),
        ToolSpec(
            "get_record",
            "One record of any entity by id, with picklist labels.",
            obj(["entity", "id"], entity=ENTITY, id=ID),
            reads.get_record,
        ),
        ToolSpec(
            "describe_entity",
            "The fields of an entity: types, required, read-only, references and picklists "
            "(label -> value). Read it before writing a field you are unsure of.",
            obj(["entity"], entity=ENTITY),
            reads.describe_entity,
        ),
        ToolSpec(
            "record_history",
            "Who changed a record, when, through what, and each field's old and new value; "
            "plus the agent writes made through this server (agent and the person behind it).",
            obj(["entity", "id"], entity=ENTITY, id=ID),
            reads.record_history,
        ),
        ToolSpec(
            "duplicate_scan",
            "Near-duplicate clusters over all companies or contacts, with scores and "
            "evidence. Use it to propose a cleanup; merge_plan shows what a merge would do.",
            obj(
                ["entity"],
                entity=MERGEABLE,
                include_ambiguous={"type": "boolean"},
                confirm_large=CONFIRM_LARGE,
            ),
            reads.duplicate_scan,
        ),
        ToolSpec(
            "merge_plan",
            "What merging other_id into keep_id would change (fills, moved contacts/sites/"
            "opportunities/notes, the retired record) and its fingerprint. Writes nothing.",
            obj(["entity", "keep_id", "other_id"], entity=MERGEABLE, keep_id=ID, other_id=ID),
            reads.merge_plan,
        ),
    ]


def merge_tools() -> list[ToolSpec]:
    return [
        ToolSpec(
            "merge",
            "Merge other_id into keep_id exactly as merge_plan described: pass that plan's "
            "fingerprint (a changed record refuses). Reversible with merge_undo.",
            obj(
                ["entity", "keep_id", "other_id", "fingerprint", "idempotency_key"],
                entity=MERGEABLE,
                keep_id=ID,
                other_id=ID,
                fingerprint={"type": "string"},
                idempotency_key=IDEMPOTENCY_KEY,
            ),
            writes.merge,
            writes=True,
            destructive=True,
        ),
        ToolSpec(
            "merge_undo",
            "Undo a merge by its merge id (from the merge result): records and links go back.",
            obj(["merge_id", "idempotency_key"], merge_id=ID, idempotency_key=IDEMPOTENCY_KEY),
            writes.merge_undo,
            writes=True,
            destructive=True,
        ),
    ]


def create_text(entity: Entity) -> str:
    text = f"Create a {entity.name} (Autotask {entity.path})."
    if entity.name in writes.FIND_OR_CREATE:
        text += (
            " Find-or-create: an existing match is returned instead (outcome 'matched', "
            "nothing written); several possible matches refuse with the candidates, so you "
            "choose with use_existing_id or force_create."
        )
    if entity.parent:
        text += f" Needs {entity.parent.field}."
    return text


def entity_tools(box: Toolbox) -> list[ToolSpec]:
    specs: list[ToolSpec] = []
    for entity in box.registry:
        if not entity.api_writable or entity.webhook_for:  # callouts: not an agent's call
            continue
        noun, description = tool_noun(entity), box.describe(entity)
        if entity.can_create:
            defaulted = frozenset(f.name for f in entity.fields if f.default is not None)
            find = entity.name in writes.FIND_OR_CREATE
            schema = create_schema(description, find_or_create=find, defaulted=defaulted)
            specs.append(
                ToolSpec(
                    f"create_{noun}", create_text(entity), schema, _create(entity), writes=True
                )
            )
        if entity.can_update:
            text = f"Change fields of a {entity.name}; fields left out stay as they are."
            if entity.name == "Company":
                text += " Protected companies cannot be renamed, retyped or deactivated."
            specs.append(
                ToolSpec(
                    f"update_{noun}",
                    text,
                    update_schema(description, f"create_{noun}" if entity.can_create else None),
                    _update(entity),
                    writes=True,
                    destructive=True,
                )
            )
    return specs


def _create(entity: Entity) -> Any:
    return lambda box, args: writes.create(box, entity, args)


def _update(entity: Entity) -> Any:
    return lambda box, args: writes.update(box, entity, args)


def all_tools(box: Toolbox) -> list[ToolSpec]:
    return [*read_tools(), *entity_tools(box), *merge_tools(), *workflow_tools()]
