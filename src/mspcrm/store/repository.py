"""Generic reads and writes of any declared entity.

A record is a ``dict`` keyed by wire field name holding stored values, plus
``UDFS`` (the UDF values by name) for entities with UDFs. Updates write only
the columns given; UDF updates merge into the stored JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from mspcrm.domain.entity import Entity, snake
from mspcrm.domain.fields import Field
from mspcrm.query.ast import Node
from mspcrm.store import hot
from mspcrm.store.compile import compile_filter, udf_storage_value
from mspcrm.store.schema import UDF_COLUMN, entity_table

UDFS = "userDefinedFields"
Record = dict[str, Any]


@lru_cache(maxsize=64)
def _columns(entity: Entity) -> tuple[tuple[str, ...], tuple[sa.ColumnElement[Any], ...]]:
    table = entity_table(entity)
    names = [f.name for f in entity.fields]
    columns = [table.c[snake(f.name)] for f in entity.fields]
    if entity.has_udfs:
        names.append(UDFS)
        columns.append(table.c[UDF_COLUMN])
    return tuple(names), tuple(columns)


@lru_cache(maxsize=64)
def _get_statement(entity: Entity) -> sa.Select[Any]:
    """``get``'s statement, built once per entity (SQLAlchemy then reuses its compiled form)."""
    _, columns = _columns(entity)
    table = entity_table(entity)
    return sa.select(*columns).where(table.c.id == sa.bindparam("record_id"))


def _record(names: Sequence[str], row: Sequence[Any]) -> Record:
    record = dict(zip(names, row, strict=True))
    if UDFS in record and record[UDFS] is None:
        record[UDFS] = {}
    return record


def _row_values(entity: Entity, values: dict[str, Any]) -> dict[str, Any]:
    return {snake(entity.require(name).name): value for name, value in values.items()}


def insert(
    conn: Connection, entity: Entity, values: dict[str, Any], udfs: dict[str, Any] | None = None
) -> int:
    row = _row_values(entity, values)
    if entity.has_udfs:
        row[UDF_COLUMN] = {k: udf_storage_value(v) for k, v in (udfs or {}).items()}
    result = conn.execute(_insert_statement(entity, frozenset(row)), row)
    return int(result.scalar_one())


@lru_cache(maxsize=512)
def _insert_statement(entity: Entity, columns: frozenset[str]) -> sa.Insert:
    """One INSERT per entity and column set, its values passed apart (compiled once)."""
    table = entity_table(entity)
    return sa.insert(table).values({c: sa.bindparam(c) for c in columns}).returning(table.c.id)


def update(
    conn: Connection,
    entity: Entity,
    record_id: int,
    values: dict[str, Any],
    udfs: dict[str, Any] | None = None,
    *,
    current_udfs: dict[str, Any] | None = None,
    replace_udfs: bool = False,
) -> None:
    table = entity_table(entity)
    row = _row_values(entity, values)
    if entity.has_udfs and (udfs or replace_udfs):
        merged = {} if replace_udfs else dict(current_udfs or {})
        merged.update({k: udf_storage_value(v) for k, v in (udfs or {}).items()})
        row[UDF_COLUMN] = {k: v for k, v in merged.items() if v is not None}
    if row:
        conn.execute(sa.update(table).where(table.c.id == record_id).values(row))


def delete(conn: Connection, entity: Entity, record_id: int) -> None:
    table = entity_table(entity)
    conn.execute(sa.delete(table).where(table.c.id == record_id))


def get(conn: Connection, entity: Entity, record_id: int) -> Record | None:
    names, _ = _columns(entity)
    row = conn.execute(_get_statement(entity), {"record_id": record_id}).first()
    return None if row is None else _record(names, row)


def get_many(conn: Connection, entity: Entity, ids: Iterable[int]) -> list[Record]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    names, columns = _columns(entity)
    table = entity_table(entity)
    rows = conn.execute(sa.select(*columns).where(table.c.id.in_(wanted)).order_by(table.c.id))
    return [_record(names, row) for row in rows]


def where_clause(conn: Connection, entity: Entity, node: Node) -> ColumnElement[bool]:
    probe = (lambda *args: _common(conn, *args)) if conn.dialect.name == "sqlite" else None
    return compile_filter(node, entity_table(entity), conn.dialect.name, common=probe)


COMMON_MATCHES = 10_000


def _common(conn: Connection, fts_table: str, column: str, query: str) -> bool:
    """Whether an SQLite trigram query matches at least ``COMMON_MATCHES`` rows. Reading its
    candidates first costs time in their number (a pattern in most rows: hundreds of ms at
    a million), while a scan in id order finds a 500-row page of them after at most
    ``500 / share`` rows. Names come from the declarations; the query is a parameter."""
    probe = (
        f'SELECT count(*) FROM (SELECT 1 FROM "{fts_table}" WHERE "{column}" MATCH ? '
        f"LIMIT {COMMON_MATCHES})"
    )
    return int(conn.exec_driver_sql(probe, (query,)).scalar_one()) >= COMMON_MATCHES


def select_page(
    conn: Connection,
    entity: Entity,
    node: Node,
    *,
    limit: int,
    after_id: int | None = None,
    before_id: int | None = None,
    raw: bool = False,
) -> list[Any]:
    """Up to ``limit`` records matching ``node`` in id order, keyset-paged; with ``raw``, the
    driver's rows of ``hot.page_columns`` (for ``hot.wire_rows``) instead of records.

    The keyset bounds come first in the WHERE clause: SQLite uses the first range
    constraint on the rowid it meets, and clients commonly filter ``id gte 0`` as
    "everything", which would otherwise make page 2,000 scan from id 0.
    """
    names, columns = _columns(entity)
    table = entity_table(entity)
    statement = sa.select(*(hot.page_columns(entity) if raw else columns))
    if after_id is not None:
        statement = statement.where(table.c.id > after_id)
    if before_id is not None:
        statement = statement.where(table.c.id < before_id)
    statement = statement.where(where_clause(conn, entity, node))
    if before_id is not None:
        inner = statement.order_by(table.c.id.desc()).limit(limit)
        rows = list(conn.execute(inner))[::-1]
    else:
        rows = list(conn.execute(statement.order_by(table.c.id).limit(limit)))
    return rows if raw else [_record(names, row) for row in rows]


def count(conn: Connection, entity: Entity, node: Node) -> int:
    table = entity_table(entity)
    condition = where_clause(conn, entity, node)
    statement = sa.select(sa.func.count()).select_from(table).where(condition)
    return int(conn.execute(statement).scalar_one())


def existing_ids(conn: Connection, entity: Entity, ids: Iterable[int]) -> set[int]:
    wanted = set(ids)
    if not wanted:
        return set()
    table = entity_table(entity)
    rows = conn.execute(sa.select(table.c.id).where(table.c.id.in_(wanted)))
    return {int(r[0]) for r in rows}


def find_ids(
    conn: Connection,
    entity: Entity,
    equals: dict[str, Any],
    *,
    exclude_id: int | None = None,
    limit: int = 10,
) -> list[int]:
    """Ids of records whose fields equal ``equals`` (text compared case-insensitively)."""
    table = entity_table(entity)
    statement = sa.select(table.c.id)
    for name, value in equals.items():
        f: Field = entity.require(name)
        column = table.c[snake(f.name)]
        if f.is_text and isinstance(value, str):
            statement = statement.where(sa.func.lower(column) == value.lower())
        else:
            statement = statement.where(column == value)
    if exclude_id is not None:
        statement = statement.where(table.c.id != exclude_id)
    rows = conn.execute(statement.order_by(table.c.id).limit(limit))
    return [int(r[0]) for r in rows]


def update_where(
    conn: Connection,
    entity: Entity,
    equals: dict[str, Any],
    values: dict[str, Any],
    *,
    exclude_id: int | None = None,
) -> int:
    """Set ``values`` on every record whose fields equal ``equals``; returns the row count."""
    table = entity_table(entity)
    statement = sa.update(table).values(_row_values(entity, values))
    for name, value in equals.items():
        statement = statement.where(table.c[snake(entity.require(name).name)] == value)
    if exclude_id is not None:
        statement = statement.where(table.c.id != exclude_id)
    return int(conn.execute(statement).rowcount)
