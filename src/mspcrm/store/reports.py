"""Grouped counts and sums for reports and audits (GROUP BY in the database)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.entities import COMPANY, OPPORTUNITY
from mspcrm.domain.entity import Entity, snake
from mspcrm.store.schema import entity_table


def _column(entity: Entity, name: str) -> sa.Column[Any]:
    return entity_table(entity).c[snake(entity.require(name).name)]


def count_by(
    conn: Connection, entity: Entity, group: str, equals: dict[str, Any] | None = None
) -> dict[Any, int]:
    """``{value of group: number of records}`` over the records whose fields equal ``equals``."""
    column = _column(entity, group)
    statement = sa.select(column, sa.func.count()).group_by(column)
    for name, value in (equals or {}).items():
        statement = statement.where(_column(entity, name) == value)
    return {row[0]: int(row[1]) for row in conn.execute(statement)}


def id_and_value(conn: Connection, entity: Entity, name: str) -> Iterator[tuple[int, Any]]:
    table = entity_table(entity)
    for row in conn.execute(sa.select(table.c.id, _column(entity, name))):
        yield int(row[0]), row[1]


def companies_by(
    conn: Connection, group: str, company_ids: Sequence[int] | None = None
) -> list[tuple[Any, int]]:
    """(value, count) of companies grouped by ``group``; within ``company_ids`` if given."""
    column = _column(COMPANY, group)
    table = entity_table(COMPANY)
    statement = sa.select(column, sa.func.count()).group_by(column)
    if company_ids is not None:
        statement = statement.where(table.c.id.in_(list(company_ids)))
    return [(row[0], int(row[1])) for row in conn.execute(statement)]


def pipeline_by(
    conn: Connection, group: str, company_ids: Sequence[int] | None = None
) -> list[tuple[Any, int, float, float]]:
    """(value, count, amount, weighted amount) of opportunities grouped by ``group``."""
    table = entity_table(OPPORTUNITY)
    column = _column(OPPORTUNITY, group)
    amount = sa.func.coalesce(table.c.amount, 0)
    weighted = sa.func.sum(amount * sa.func.coalesce(table.c.probability, 0) / 100.0)
    statement = sa.select(column, sa.func.count(), sa.func.sum(amount), weighted).group_by(column)
    if company_ids is not None:
        statement = statement.where(table.c.company_id.in_(list(company_ids)))
    return [
        (row[0], int(row[1]), float(row[2] or 0), float(row[3] or 0))
        for row in conn.execute(statement)
    ]
