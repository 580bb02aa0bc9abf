"""Installation data kept in the database: picklist values and UDF definitions."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.picklists import PicklistValue
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.errors import ConflictError, NotFoundError, ValidationError
from mspcrm.store.schema import picklist_values as pv
from mspcrm.store.schema import udf_definitions as ud


def _picklist_value(row: Any) -> PicklistValue:
    return PicklistValue(
        value=row.value,
        label=row.label,
        is_default=row.is_default,
        sort_order=row.sort_order,
        is_active=row.is_active,
        is_system=row.is_system,
        parent_value=row.parent_value,
    )


def picklists(conn: Connection, keys: list[str] | None = None) -> dict[str, list[PicklistValue]]:
    """Values by picklist key (``Entity.field``), in sort order."""
    statement = sa.select(pv).order_by(pv.c.picklist, pv.c.sort_order, pv.c.value)
    if keys is not None:
        statement = statement.where(pv.c.picklist.in_(keys))
    found: dict[str, list[PicklistValue]] = defaultdict(list)
    for row in conn.execute(statement):
        found[row.picklist].append(_picklist_value(row))
    return dict(found)


def picklist_keys(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(sa.select(pv.c.picklist).distinct().order_by(pv.c.picklist))]


def add_picklist_value(
    conn: Connection,
    key: str,
    label: str,
    *,
    value: int | None = None,
    is_default: bool = False,
    is_active: bool = True,
) -> PicklistValue:
    if not label.strip():
        raise ValidationError("A picklist value needs a label")
    existing = picklists(conn, [key]).get(key, [])
    if any(v.label.casefold() == label.strip().casefold() for v in existing):
        raise ConflictError(f"Picklist {key} already has a value labelled {label!r}")
    if value is None:
        value = max((v.value for v in existing), default=0) + 1
    elif any(v.value == value for v in existing):
        raise ConflictError(f"Picklist {key} already has the value {value}")
    if is_default:
        conn.execute(sa.update(pv).where(pv.c.picklist == key).values(is_default=False))
    added = PicklistValue(
        value=value,
        label=label.strip(),
        is_default=is_default,
        sort_order=max((v.sort_order for v in existing), default=-1) + 1,
        is_active=is_active,
    )
    insert_picklist_values(conn, key, [added])
    return added


def set_picklist_value_active(conn: Connection, key: str, value: int, active: bool) -> None:
    result = conn.execute(
        sa.update(pv).where(pv.c.picklist == key, pv.c.value == value).values(is_active=active)
    )
    if result.rowcount == 0:
        raise NotFoundError(f"Picklist {key} has no value {value}")


def insert_picklist_values(conn: Connection, key: str, values: list[PicklistValue]) -> None:
    conn.execute(
        sa.insert(pv),
        [
            {
                "picklist": key,
                "value": v.value,
                "label": v.label,
                "is_default": v.is_default,
                "sort_order": v.sort_order,
                "is_active": v.is_active,
                "is_system": v.is_system,
                "parent_value": v.parent_value,
            }
            for v in values
        ],
    )


def _definition(row: Any) -> UdfDefinition:
    return UdfDefinition(
        entity=row.entity,
        name=row.name,
        type=row.type,
        length=row.length,
        label=row.label,
        description=row.description,
        is_required=row.is_required,
        default_value=row.default_value,
        picklist_values=tuple(row.picklist_values or ()),
    )


def udf_definitions(conn: Connection, entity: str | None = None) -> list[UdfDefinition]:
    statement = sa.select(ud).order_by(ud.c.entity, ud.c.sort_order, ud.c.id)
    if entity is not None:
        statement = statement.where(ud.c.entity == entity)
    return [_definition(row) for row in conn.execute(statement)]


def add_udf_definition(conn: Connection, definition: UdfDefinition) -> None:
    key = definition.name.strip().casefold()
    clash = conn.execute(
        sa.select(ud.c.id).where(ud.c.entity == definition.entity, ud.c.name_key == key)
    ).first()
    if clash is not None:
        raise ConflictError(f"{definition.entity} already has a UDF named {definition.name!r}")
    count = conn.execute(
        sa.select(sa.func.count()).select_from(ud).where(ud.c.entity == definition.entity)
    ).scalar_one()
    conn.execute(
        sa.insert(ud).values(
            entity=definition.entity,
            name=definition.name.strip(),
            name_key=key,
            type=definition.type,
            length=definition.length,
            label=definition.label or definition.name.strip(),
            description=definition.description,
            is_required=definition.is_required,
            default_value=definition.default_value,
            picklist_values=list(definition.picklist_values) or None,
            sort_order=count,
        )
    )
