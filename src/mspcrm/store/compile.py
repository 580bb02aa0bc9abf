"""Compile a parsed filter tree into a SQLAlchemy expression.

Every value is a bound parameter: no client text is ever part of the SQL.
Text compares case-insensitively through ``lower()`` on both sides (indexed
as ``lower(column)``); LIKE patterns escape ``%``, ``_`` and ``\\``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from mspcrm.domain.entity import snake
from mspcrm.domain.fields import DateTime, Double, Field, Text
from mspcrm.query.ast import Condition, Group, Node
from mspcrm.store.schema import UDF_COLUMN


def udf_storage_value(value: Any) -> Any:
    """UDF values as kept in the JSON column (datetimes as sortable text)."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")  # zero-padded year: sorts as text
    return value


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Compiler:
    def __init__(self, table: sa.Table, dialect: str) -> None:
        self.table = table
        self.dialect = dialect

    def column(self, field: Field) -> ColumnElement[Any]:
        if not field.udf:
            return self.table.c[snake(field.name)]
        element: Any = self.table.c[UDF_COLUMN][field.name]
        typed = element.as_float() if isinstance(field.kind, Double) else element.as_string()
        return cast("ColumnElement[Any]", typed)

    def node(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, Group):
            parts = [self.node(item) for item in node.items]
            if not parts:
                return sa.true() if node.op == "and" else sa.false()
            return sa.and_(*parts) if node.op == "and" else sa.or_(*parts)
        return self.condition(node)

    def value(self, field: Field, value: Any) -> Any:
        if isinstance(value, str) and isinstance(field.kind, Text):
            return sa.func.lower(
                sa.literal(value, sa.String())
            )  # folded by the database, as the column
        if field.udf and isinstance(field.kind, DateTime):
            return udf_storage_value(value)
        return value

    def condition(self, cond: Condition) -> ColumnElement[bool]:
        column = self.column(cond.field)
        if cond.op == "exist":
            return column.is_not(None)
        if cond.op == "notExist":
            return column.is_(None)
        text = isinstance(cond.field.kind, Text)
        left = sa.func.lower(column) if text else column
        if cond.op in ("in", "notIn"):
            values = [self.value(cond.field, v) for v in cond.value]
            if not values:
                return sa.false() if cond.op == "in" else column.is_not(None)
            return left.in_(values) if cond.op == "in" else left.not_in(values)
        right = self.value(cond.field, cond.value)
        if cond.op in ("beginsWith", "endsWith", "contains"):
            escaped = _escape_like(str(cond.value))
            pattern = {
                "beginsWith": f"{escaped}%",
                "endsWith": f"%{escaped}",
                "contains": f"%{escaped}%",
            }[cond.op]
            return left.like(sa.func.lower(sa.literal(pattern, sa.String())), escape="\\")
        if text and cond.op in ("gt", "gte", "lt", "lte") and self.dialect == "postgresql":
            left = left.collate("C")
        return cast("ColumnElement[bool]", _COMPARE[cond.op](left, right))


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "noteq": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def compile_filter(node: Node, table: sa.Table, dialect: str) -> ColumnElement[bool]:
    return Compiler(table, dialect).node(node)
