"""The ``entityInformation`` shapes, built from the declarations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Field
from mspcrm.domain.picklists import PicklistValue
from mspcrm.domain.udfs import UdfDefinition

ACCESS_NONE, ACCESS_ALL = 0, 1


def entity_info(
    entity: Entity, *, can_write: bool = True, can_read: bool = True, rights: str | None = None
) -> dict[str, Any]:
    """``rights``: the caller's letters for this entity (``c``, ``r``, ``u``, ``d``) from its
    security level; without it, ``can_write`` / ``can_read`` decide."""
    if rights is None:
        rights = ("r" if can_read else "") + ("cud" if can_write else "")
    create = entity.can_create and entity.api_writable
    update = entity.can_update and entity.api_writable
    delete = entity.can_delete and entity.api_writable

    def access(allowed: bool) -> int:
        return ACCESS_ALL if allowed else ACCESS_NONE

    return {
        "name": entity.name,
        "canCreate": create,
        "canDelete": delete,
        "canQuery": entity.can_query,
        "canUpdate": update,
        "userAccessForCreate": access(create and "c" in rights),
        "userAccessForDelete": access(delete and "d" in rights),
        "userAccessForQuery": access(entity.can_query and "r" in rights),
        "userAccessForUpdate": access(update and "u" in rights),
        "hasUserDefinedFields": entity.has_udfs,
        "supportsWebhookCallouts": entity.supports_webhooks,
    }


def field_info(f: Field, picklist: Sequence[PicklistValue] | None) -> dict[str, Any]:
    return {
        "name": f.name,
        "dataType": f.kind.data_type,
        "length": f.length,
        "isRequired": f.required,
        "isReadOnly": f.read_only,
        "isQueryable": f.queryable,
        "isReference": f.reference is not None,
        "referenceEntityType": f.reference or "",
        "isPickList": f.picklist,
        "picklistValues": None if picklist is None else [v.to_wire() for v in picklist],
        "picklistParentValueField": f.picklist_parent,
        "isSupportedWebhookField": f.webhook and not f.read_only,
    }


def fields_info(
    entity: Entity, picklists: Mapping[str, Sequence[PicklistValue]]
) -> list[dict[str, Any]]:
    """Every field, sorted by name as Autotask lists them."""
    ordered = sorted(entity.fields, key=lambda f: f.name.lower())
    return [field_info(f, picklists.get(f.name) if f.picklist else None) for f in ordered]


def udf_info(definition: UdfDefinition) -> dict[str, Any]:
    values = None
    if definition.picklist_values:
        values = [
            PicklistValue(value=i, label=label, sort_order=i).to_wire() | {"value": label}
            for i, label in enumerate(definition.picklist_values)
        ]
    return {
        "name": definition.name,
        "label": definition.label or definition.name,
        "type": definition.type,
        "length": definition.length if definition.type in ("string", "picklist") else 0,
        "description": definition.description,
        "isRequired": definition.is_required,
        "isReadOnly": False,
        "isQueryable": True,
        "isReference": False,
        "referenceEntityType": "",
        "isPickList": definition.type == "picklist",
        "picklistValues": values,
        "picklistParentValueField": "",
        "defaultValue": definition.default_value,
        "isSupportedWebhookField": True,
    }
