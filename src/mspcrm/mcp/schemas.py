"""JSON schemas of the tools, generated from ``entityInformation/fields`` (never by hand).

Picklist fields take the value or its label (``"companyType": "Customer"``);
the tool turns labels into values with the target's own picklist.
"""

from __future__ import annotations

from typing import Any

from mspcrm.sdk.metadata import INTEGER_TYPES, EntityDescription, FieldInfo, Picklist

IDEMPOTENCY_KEY = {"type": "string", "minLength": 8, "maxLength": 200, "description": "A new UUID"}
UDFS = {"type": "array", "items": {"type": "object"}, "description": "[{name, value}]"}
JSON_TYPES = {"boolean": "boolean", "double": "number", "decimal": "number", "float": "number"}


def picklist_text(picklist: Picklist, limit: int = 25) -> str:
    pairs = [f"{value}={label}" for label, value in list(picklist.by_label.items())[:limit]]
    more = "" if len(picklist.by_label) <= limit else f", ... ({len(picklist.by_label)} in all)"
    return "; ".join(pairs) + more


def field_schema(info: FieldInfo) -> dict[str, Any]:
    """One property, as small as it can be and still say what the field takes: its type
    and length, a picklist's values and labels (either is accepted), a reference's entity.
    The tool list is loaded into every agent's context, so every byte here is paid for;
    ``describe_entity`` has the full story."""
    if info.picklist is not None:
        return {"description": picklist_text(info.picklist)}
    kind = info.data_type.lower()
    schema: dict[str, Any]
    if kind in INTEGER_TYPES:
        schema = {"type": "integer"}
    elif kind in JSON_TYPES:
        schema = {"type": JSON_TYPES[kind]}
    elif kind == "datetime":
        schema = {"type": "string", "format": "date-time"}
    else:
        schema = {"type": "string"}  # lengths: describe_entity (an over-long value is refused
        # with a message naming the field and its limit)
    if info.reference_entity_type:
        schema["description"] = f"{info.reference_entity_type} id"
    return schema


def record_properties(description: EntityDescription) -> dict[str, Any]:
    return {
        name: field_schema(info)
        for name, info in sorted(description.fields.items())
        if not info.is_read_only and name != "id"
    }


def create_schema(
    description: EntityDescription, *, find_or_create: bool, defaulted: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """``defaulted``: required fields the server fills when left out (not required here)."""
    properties = record_properties(description)
    properties["userDefinedFields"] = UDFS
    properties["idempotency_key"] = IDEMPOTENCY_KEY
    if find_or_create:
        properties["use_existing_id"] = {
            "type": "integer",
            "description": "after 'ambiguous': the candidate that is this record",
        }
        properties["force_create"] = {
            "type": "boolean",
            "description": "after 'ambiguous': none of them is; create",
        }
    required = [n for n in description.required if n in properties and n not in defaulted]
    return {"type": "object", "properties": properties, "required": [*required, "idempotency_key"]}


def update_schema(description: EntityDescription, create_tool: str | None = None) -> dict[str, Any]:
    """The id and the key; the fields to change are those of the create tool (or of
    ``describe_entity``), by wire name, ``null`` to clear one: not listed a second time."""
    fields_from = create_tool or "describe_entity"
    return {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "idempotency_key": IDEMPOTENCY_KEY},
        "required": ["id", "idempotency_key"],
        "additionalProperties": {"description": f"fields as in {fields_from}; null clears"},
    }


def obj(required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    """A small object schema for the hand-shaped tools (search, merge, ...)."""
    return {"type": "object", "properties": properties, "required": required or []}


def coerce_picklists(description: EntityDescription, body: dict[str, Any]) -> dict[str, Any]:
    """Labels to values for picklist fields; everything else unchanged."""
    out = dict(body)
    for name, value in body.items():
        info = description.fields.get(name)
        if info is None or info.picklist is None or not isinstance(value, str):
            continue
        if value.lstrip("-").isdigit() and info.data_type.lower() in INTEGER_TYPES:
            out[name] = int(value)
        elif value not in info.picklist.by_value:
            out[name] = info.picklist.value(value)
    return out
