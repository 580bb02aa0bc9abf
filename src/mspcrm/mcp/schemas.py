"""JSON schemas of the tools, generated from ``entityInformation/fields`` (never by hand).

Picklist fields take the value or its label (``"companyType": "Customer"``);
the tool turns labels into values with the target's own picklist.
"""

from __future__ import annotations

from typing import Any

from mspcrm.sdk.metadata import INTEGER_TYPES, EntityDescription, FieldInfo, Picklist

IDEMPOTENCY_KEY = {
    "type": "string",
    "minLength": 8,
    "maxLength": 200,
    "description": "A unique string for this intended change (e.g. a UUID). Retrying with the "
    "same key returns the first result and never writes twice; use a new key for a new change.",
}
UDFS = {
    "type": "array",
    "description": "User-defined fields as [{name, value}].",
    "items": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "value": {}},
        "required": ["name"],
    },
}
JSON_TYPES = {"boolean": "boolean", "double": "number", "decimal": "number", "float": "number"}


def picklist_text(picklist: Picklist, limit: int = 25) -> str:
    pairs = [f"{value}={label}" for label, value in list(picklist.by_label.items())[:limit]]
    more = "" if len(picklist.by_label) <= limit else f", ... ({len(picklist.by_label)} in all)"
    return "; ".join(pairs) + more


def field_schema(info: FieldInfo) -> dict[str, Any]:
    """One property: type, length, picklist values and labels, reference."""
    kind = info.data_type.lower()
    if info.picklist is not None:
        values = list(info.picklist.by_value)
        return {
            "anyOf": [{"enum": values}, {"type": "string"}],
            "description": f"Picklist (value or label): {picklist_text(info.picklist)}",
        }
    schema: dict[str, Any]
    if kind in INTEGER_TYPES:
        schema = {"type": ["integer", "null"]}
    elif kind in JSON_TYPES:
        schema = {"type": [JSON_TYPES[kind], "null"]}
    elif kind == "datetime":
        schema = {"type": ["string", "null"], "description": "ISO 8601 date or date-time"}
    else:
        schema = {"type": ["string", "null"]}
        if info.length:
            schema["maxLength"] = info.length
    if info.reference_entity_type:
        schema["description"] = f"id of a {info.reference_entity_type}"
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
            "description": "After an 'ambiguous' refusal: the id of the candidate that is this "
            "record. Nothing is written; that record is returned.",
        }
        properties["force_create"] = {
            "type": "boolean",
            "description": "After an 'ambiguous' refusal, when none of the candidates is this "
            "record: create it anyway.",
        }
    required = [n for n in description.required if n in properties and n not in defaulted]
    return {"type": "object", "properties": properties, "required": [*required, "idempotency_key"]}


def update_schema(description: EntityDescription) -> dict[str, Any]:
    properties: dict[str, Any] = {"id": {"type": "integer", "description": "The record to change"}}
    properties.update(record_properties(description))
    properties["userDefinedFields"] = UDFS
    properties["idempotency_key"] = IDEMPOTENCY_KEY
    return {"type": "object", "properties": properties, "required": ["id", "idempotency_key"]}


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
