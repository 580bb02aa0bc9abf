"""Compile a parsed filter tree into a SQLAlchemy expression.

Every value is a bound parameter: no client text is ever part of the SQL.
Text compares case-insensitively through ``lower()`` on both sides (indexed
as ``lower(column)``); LIKE patterns escape ``%``, ``_`` and ``\\``.

Substring operators on trigram-indexed columns: PostgreSQL's planner uses the
``pg_trgm`` index on ``lower(column)`` for the LIKE as it is. On SQLite the LIKE
is preceded by ``id IN (SELECT rowid FROM <entity>_fts WHERE <column> MATCH ...)``
(see ``search_terms``), a superset of the LIKE's rows, so the result is the LIKE's.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from mspcrm.domain.entity import snake
from mspcrm.domain.fields import DateTime, Double, Field, Text
from mspcrm.query.ast import Condition, Group, Node
from mspcrm.store.schema import SEARCH_INDEXES, TRIGRAM, UDF_COLUMN


def udf_storage_value(value: Any) -> Any:
    """UDF values as kept in the JSON column (datetimes as sortable text)."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")  # zero-padded year: sorts as text
    return value


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def search_terms(value: str) -> list[str]:
    """Substrings every text containing ``value`` contains, as SQLite's FTS5 trigram
    table (``case_sensitive 0``) folds it; empty when none is a trigram long.

    The LIKE compares ``lower()`` (Python's ``str.lower``, registered by the server)
    of both sides, and the pattern's text is literal (wildcards escaped), so a match
    contains ``value.lower()``. FTS5 folds each character on its own, and differently
    from ``str.lower`` outside ASCII; so the terms are the lower-cased value's ASCII
    runs, where the two agree: an ASCII character of a lowered text comes from an
    ASCII character (folded alike), from KELVIN SIGN (both give "k"), or from
    LATIN CAPITAL LETTER I WITH DOT ABOVE, which lowers to "i" + U+0307 but which FTS5
    keeps as it is: that "i" is always followed by U+0307, so only a run's last
    character can be it, and a final "i" is dropped. ``tests/test_search_index.py``
    checks the premise against every code point.
    """
    runs = (run[:-1] if run.endswith("i") else run for run in _NOT_ASCII.split(value.lower()))
    return [run for run in runs if len(run) >= TRIGRAM]


def _fts_query(terms: list[str]) -> str:
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


CommonProbe = Callable[[str, str, str], bool]


class Compiler:
    def __init__(
        self,
        table: sa.Table,
        dialect: str,
        *,
        search_index: bool = True,
        common: CommonProbe | None = None,
    ) -> None:
        self.table = table
        self.dialect = dialect
        self.common = common
        search = SEARCH_INDEXES.get(table.name)
        use = search_index and dialect == "sqlite" and search is not None
        self.search = search if use else None

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
            if self.dialect == "sqlite":  # its lower() is Python's (store.database): fold here
                return value.lower()
            return sa.func.lower(sa.literal(value, sa.String()))  # folded as the column is
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
            like = left.like(sa.func.lower(sa.literal(pattern, sa.String())), escape="\\")
            return self.prefiltered(cond.field, str(cond.value), like)
        if text and cond.op in ("gt", "gte", "lt", "lte") and self.dialect == "postgresql":
            left = left.collate("C")
        return cast("ColumnElement[bool]", _COMPARE[cond.op](left, right))

    def prefiltered(
        self, field: Field, value: str, like: ColumnElement[bool]
    ) -> ColumnElement[bool]:
        """``like``, after the SQLite trigram table's candidates when it can tell them."""
        name = snake(field.name)
        terms = search_terms(value)
        if self.search is None or field.udf or name not in self.search.columns or not terms:
            return like
        query = _fts_query(terms)
        if self.common is not None and self.common(self.search.fts_table, name, query):
            return like  # most rows match: a scan in id order finds a page sooner
        fts = sa.table(self.search.fts_table, sa.column("rowid"), sa.column(name))
        candidates = sa.select(fts.c.rowid).where(fts.c[name].match(query))
        return sa.and_(self.table.c.id.in_(candidates), like)


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "noteq": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def compile_filter(
    node: Node,
    table: sa.Table,
    dialect: str,
    *,
    search_index: bool = True,
    common: CommonProbe | None = None,
) -> ColumnElement[bool]:
    """``search_index=False``: never the SQLite trigram table (the plain path, for tests).
    ``common(fts_table, column, query)``: whether a trigram query matches so many rows that
    the plain scan is the better plan (``repository`` asks the database)."""
    return Compiler(table, dialect, search_index=search_index, common=common).node(node)
