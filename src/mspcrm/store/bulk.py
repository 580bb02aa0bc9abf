"""Set-based writes the generic repository does not offer."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity, snake
from mspcrm.store.schema import entity_table


def delete_where(conn: Connection, entity: Entity, equals: dict[str, Any]) -> int:
    """Delete every record whose fields equal ``equals``; returns the row count."""
    if not equals:
        raise ValueError("delete_where needs at least one condition")
    table = entity_table(entity)
    statement = sa.delete(table)
    for name, value in equals.items():
        statement = statement.where(table.c[snake(entity.require(name).name)] == value)
    return int(conn.execute(statement).rowcount)
