"""The hot reads, without SQLAlchemy's per-statement and per-row machinery.

A GET by id and a 500-row page run thousands of times a second. SQLAlchemy's
execution context costs ~60-100 µs a statement here (more than SQLite's own work),
and its result processors parse every SQLite datetime into a ``datetime`` only for
the wire to format it again. So:

* ``get_wire`` runs a statement compiled once per entity and dialect to SQL text on
  the pooled DBAPI connection, and the UDF definitions' rows the same way (parsed
  again only when they changed, so a definition added by another process is seen at
  once);
* ``page_columns`` are an entity's columns without result processing, for pages run
  through SQLAlchemy (the compiled filter, its statement cache) but read raw;
* ``decoders`` say, per column and dialect, how a driver's raw value becomes the
  stored Python value (SQLite keeps datetimes and JSON as text), and
  ``domain.wire.row_to_wire`` goes from there straight to the wire form.

``tests/test_hot_reads.py`` checks every entity's records come out identical to the
SQLAlchemy path on both engines.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from mspcrm.domain.entity import Entity, snake
from mspcrm.domain.fields import DateTime
from mspcrm.domain.picklists import PicklistValue
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.domain.wire import Decoder, row_to_wire
from mspcrm.store.schema import UDF_COLUMN, entity_table
from mspcrm.store.schema import picklist_values as pv
from mspcrm.store.schema import udf_definitions as ud

T = TypeVar("T")

PICKLIST_ROW = (
    pv.c.picklist,
    pv.c.value,
    pv.c.label,
    pv.c.is_default,
    pv.c.sort_order,
    pv.c.is_active,
    pv.c.is_system,
    pv.c.parent_value,
)
UDF_ROW = (ud.c.entity, ud.c.name, ud.c.type, ud.c.length, ud.c.label, ud.c.description)
UDF_ROW_REST = (ud.c.is_required, ud.c.default_value, ud.c.picklist_values)


def _sqlite_datetime(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _sqlite_json(value: Any) -> Any:
    if not isinstance(value, str | bytes):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:  # what orjson refuses (integers past 64 bits), json reads
        return json.loads(value)


@lru_cache(maxsize=128)
def decoders(entity: Entity, dialect: str) -> tuple[Decoder, ...]:
    """Per column of ``page_columns``: raw driver value -> stored Python value (None: same)."""
    sqlite = dialect == "sqlite"
    found: list[Decoder] = [
        _sqlite_datetime if sqlite and isinstance(f.kind, DateTime) else None for f in entity.fields
    ]
    if entity.has_udfs:
        found.append(_sqlite_json if sqlite else None)
    return tuple(found)


@lru_cache(maxsize=64)
def page_columns(entity: Entity) -> tuple[sa.ColumnElement[Any], ...]:
    """Every field's column then the UDF column, typed so that rows come back raw."""
    table = entity_table(entity)
    names = [snake(f.name) for f in entity.fields]
    if entity.has_udfs:
        names.append(UDF_COLUMN)
    return tuple(sa.type_coerce(table.c[n], sa.types.NullType()).label(n) for n in names)


def wire_rows(
    entity: Entity, dialect: str, rows: Sequence[Sequence[Any]], udfs: Sequence[UdfDefinition]
) -> list[dict[str, Any]]:
    build = row_to_wire(entity, decoders(entity, dialect))
    return [build(row, udfs) for row in rows]


@dataclass(frozen=True)
class Prepared:
    """A statement compiled once to the driver's SQL text and parameter style."""

    sql: str
    order: tuple[str, ...]  # parameter names in position order; () for a named style

    def args(self, values: dict[str, Any]) -> Any:
        return tuple(values[n] for n in self.order) if self.order else values


def prepare(statement: sa.Select[Any], dialect: Dialect) -> Prepared:
    compiled = statement.compile(dialect=dialect)
    order = tuple(compiled.positiontup or ()) if dialect.positional else ()
    return Prepared(str(compiled), order)


@lru_cache(maxsize=128)
def _get_prepared(entity: Entity, dialect: Dialect) -> Prepared:
    table = entity_table(entity)
    statement = sa.select(*page_columns(entity)).where(table.c.id == sa.bindparam("record_id"))
    return prepare(statement, dialect)


@lru_cache(maxsize=8)
def _udfs_prepared(dialect: Dialect) -> Prepared:
    statement = (
        sa.select(*UDF_ROW, *(sa.type_coerce(c, sa.types.NullType()) for c in UDF_ROW_REST))
        .where(ud.c.entity == sa.bindparam("entity"))
        .order_by(ud.c.sort_order, ud.c.id)
    )
    return prepare(statement, dialect)


class ParsedRows(Generic[T]):
    """Small installation tables (UDF definitions, picklists) read raw on every use, in the
    caller's transaction, and parsed again only when their rows changed: exact (another
    process's change is seen at once) at the cost of one cheap statement."""

    def __init__(self, parse: Callable[[list[tuple[Any, ...]], str], T]) -> None:
        self._parse = parse
        self._seen: dict[Any, tuple[list[tuple[Any, ...]], T]] = {}
        self._lock = threading.Lock()

    def read(self, cursor: Any, dialect: Dialect, prepared: Prepared, params: dict[str, Any]) -> T:
        cursor.execute(prepared.sql, prepared.args(params))
        rows = [tuple(r) for r in cursor.fetchall()]
        key = (prepared.sql, tuple(sorted(params.items())))
        with self._lock:
            seen = self._seen.get(key)
        if seen is not None and seen[0] == rows:
            return seen[1]
        parsed = self._parse(rows, dialect.name)
        with self._lock:
            self._seen[key] = (rows, parsed)
        return parsed


class UdfDefinitionCache:
    """An entity's UDF definitions (``ParsedRows``)."""

    def __init__(self) -> None:
        self._rows = ParsedRows(lambda rows, dialect: [_definition(r, dialect) for r in rows])

    def definitions(self, cursor: Any, dialect: Dialect, entity: str) -> list[UdfDefinition]:
        return self._rows.read(cursor, dialect, _udfs_prepared(dialect), {"entity": entity})


class PicklistCache:
    """Picklist values by key (``Entity.field``), in sort order (``ParsedRows``)."""

    def __init__(self) -> None:
        self._rows = ParsedRows(_picklists)

    def values(
        self, cursor: Any, dialect: Dialect, keys: tuple[str, ...]
    ) -> dict[str, list[PicklistValue]]:
        return self._rows.read(cursor, dialect, _picklists_prepared(keys, dialect), {})


@lru_cache(maxsize=128)
def _picklists_prepared(keys: tuple[str, ...], dialect: Dialect) -> Prepared:
    """Keys come from the declarations, never from a request: rendered into the SQL."""
    raw = [sa.type_coerce(c, sa.types.NullType()) for c in PICKLIST_ROW]
    statement = (
        sa.select(*raw)
        .where(pv.c.picklist.in_(keys))
        .order_by(pv.c.picklist, pv.c.sort_order, pv.c.value)
    )
    compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return Prepared(str(compiled), ())


def _picklists(rows: list[tuple[Any, ...]], dialect: str) -> dict[str, list[PicklistValue]]:
    found: dict[str, list[PicklistValue]] = {}
    for key, value, label, default, order, active, system, parent in rows:
        found.setdefault(key, []).append(
            PicklistValue(
                value=value,
                label=label,
                is_default=bool(default),
                sort_order=order,
                is_active=bool(active),
                is_system=bool(system),
                parent_value=parent,
            )
        )
    return found


def _definition(row: Sequence[Any], dialect: str) -> UdfDefinition:
    entity, name, kind, length, label, description, required, default, picklist = row
    if dialect == "sqlite":
        picklist = _sqlite_json(picklist)
    return UdfDefinition(
        entity=entity,
        name=name,
        type=kind,
        length=length,
        label=label,
        description=description,
        is_required=bool(required),
        default_value=default,
        picklist_values=tuple(picklist or ()),
    )


def get_wire(
    cursor: Any, dialect: Dialect, entity: Entity, record_id: int, udf_cache: UdfDefinitionCache
) -> dict[str, Any] | None:
    """One record as its wire object, or None, on a DBAPI cursor."""
    prepared = _get_prepared(entity, dialect)
    cursor.execute(prepared.sql, prepared.args({"record_id": record_id}))
    row = cursor.fetchone()
    if row is None:
        return None
    udfs = udf_cache.definitions(cursor, dialect, entity.name) if entity.has_udfs else []
    return wire_rows(entity, dialect.name, [row], udfs)[0]
