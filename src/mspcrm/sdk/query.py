"""A small builder for the Autotask filter language.

    F("companyName").contains("acme") & F("isActive").eq(True) | F("id").in_([1, 2])

renders exactly the JSON every Autotask server reads::

    {"filter": [...], "IncludeFields": [...], "MaxRecords": n}

``&`` binds tighter than ``|`` (Python's precedence), so the example above is
``or(and(contains, eq), in)``. Groups of the same operator are flattened.
Operators are spelled as on the wire: eq, noteq, gt, gte, lt, lte, beginsWith,
endsWith, contains, exist, notExist, in, notIn, and, or.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeAlias

__all__ = ["Condition", "F", "Group", "Node", "Q", "Query", "and_", "or_", "to_document"]


def render_value(value: Any) -> Any:
    """A Python value as the JSON the server expects (datetimes in UTC with ``Z``)."""
    if isinstance(value, Enum):
        return render_value(value.value)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        millis = moment.microsecond // 1000
        return text + (f".{millis:03d}".rstrip("0") if millis else "") + "Z"
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00Z"
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [render_value(v) for v in value]
    return value


class _Combinable:
    def __and__(self, other: Node) -> Group:
        return _group("and", (self, other))

    def __or__(self, other: Node) -> Group:
        return _group("or", (self, other))


@dataclass(frozen=True)
class Condition(_Combinable):
    """One field condition: ``{"op", "field", "value"?, "udf"?}``."""

    op: str
    field: str
    value: Any = None
    udf: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "field": self.field}
        if self.op not in ("exist", "notExist"):
            out["value"] = render_value(self.value)
        if self.udf:
            out["udf"] = True
        return out


@dataclass(frozen=True)
class Group(_Combinable):
    """An ``and`` / ``or`` group of conditions."""

    op: str
    items: tuple[Node, ...]

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "items": [item.to_json() for item in self.items]}


Node: TypeAlias = Condition | Group


def _group(op: str, nodes: Iterable[object]) -> Group:
    """Flattened: ``a & (b & c)`` is one ``and`` of three. An empty group is refused:
    Autotask drops it, so an empty ``or_()`` would match everything."""
    items: list[Node] = []
    for node in nodes:
        if not isinstance(node, Condition | Group):
            raise TypeError(f"Cannot combine {node!r}: build conditions with F(...)")
        items.extend(node.items if isinstance(node, Group) and node.op == op else [node])
    if not items:
        raise ValueError(f"{op}_() needs at least one condition")
    return Group(op, tuple(items))


def and_(*nodes: Node) -> Group:
    """All of the conditions."""
    return _group("and", nodes)


def or_(*nodes: Node) -> Group:
    """Any of the conditions."""
    return _group("or", nodes)


@dataclass(frozen=True)
class F:
    """A field to compare; ``udf=True`` for a user-defined field (named as in Autotask)."""

    name: str
    udf: bool = False

    def _op(self, op: str, value: Any = None) -> Condition:
        return Condition(op, self.name, value, self.udf)

    def eq(self, value: Any) -> Condition:
        return self._op("eq", value) if value is not None else self.not_exists()

    def noteq(self, value: Any) -> Condition:
        return self._op("noteq", value) if value is not None else self.exists()

    def gt(self, value: Any) -> Condition:
        return self._op("gt", value)

    def gte(self, value: Any) -> Condition:
        return self._op("gte", value)

    def lt(self, value: Any) -> Condition:
        return self._op("lt", value)

    def lte(self, value: Any) -> Condition:
        return self._op("lte", value)

    def begins_with(self, text: str) -> Condition:
        return self._op("beginsWith", text)

    def ends_with(self, text: str) -> Condition:
        return self._op("endsWith", text)

    def contains(self, text: str) -> Condition:
        return self._op("contains", text)

    def exists(self) -> Condition:
        return self._op("exist")

    def not_exists(self) -> Condition:
        return self._op("notExist")

    def in_(self, values: Iterable[Any]) -> Condition:
        return self._op("in", list(values))

    def not_in(self, values: Iterable[Any]) -> Condition:
        return self._op("notIn", list(values))


@dataclass(frozen=True)
class Query:
    """A whole query document: the filter (top-level items are ANDed) and its options.

    ``max_records`` is sent as ``MaxRecords``; ``EntityClient.query`` also stops after
    that many records, across pages (each page is at most 500).
    """

    filter: tuple[Node | Mapping[str, Any], ...] = ()  # nodes, or raw JSON conditions
    include_fields: tuple[str, ...] | None = None
    max_records: int | None = None

    def where(self, *nodes: Node) -> Query:
        return replace(self, filter=(*self.filter, *nodes))

    def include(self, *names: str) -> Query:
        return replace(self, include_fields=(*(self.include_fields or ()), *names))

    def limit(self, max_records: int) -> Query:
        return replace(self, max_records=max_records)

    def to_json(self) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for node in self.filter:
            if isinstance(node, Group) and node.op == "and":  # the top level is an "and"
                items.extend(item.to_json() for item in node.items)
            elif isinstance(node, Condition | Group):
                items.append(node.to_json())
            else:
                items.append(dict(node))
        doc: dict[str, Any] = {"filter": items}
        if self.include_fields:
            doc["IncludeFields"] = list(self.include_fields)
        if self.max_records is not None:
            doc["MaxRecords"] = self.max_records
        return doc


def Q(  # noqa: N802 (a constructor-like helper, as in Django)
    *nodes: Node,
    include_fields: Iterable[str] | None = None,
    max_records: int | None = None,
    **equals: Any,
) -> Query:
    """A query: ``Q(F("city").eq("Oslo"), isActive=True, include_fields=["id"])``."""
    conditions = (*nodes, *(F(name).eq(value) for name, value in equals.items()))
    include = tuple(include_fields) if include_fields is not None else None
    return Query(conditions, include, max_records)


QueryLike: TypeAlias = Query | Node | Mapping[str, Any] | Iterable[Node | Mapping[str, Any]] | None


def to_document(
    what: QueryLike,
    *,
    include_fields: Iterable[str] | None = None,
    max_records: int | None = None,
) -> dict[str, Any]:
    """Any accepted filter form -> the query JSON: a ``Query``, a node, a raw JSON document
    (``{"filter": [...]}``), a list of nodes or raw conditions, or ``None`` (no filter)."""
    query = _as_query(what)
    if include_fields is not None:
        query = replace(query, include_fields=tuple(include_fields))
    if max_records is not None:
        query = replace(query, max_records=max_records)
    return query.to_json()


def _as_query(what: QueryLike) -> Query:
    if what is None:
        return Query()
    if isinstance(what, Query):
        return what
    if isinstance(what, Condition | Group):
        return Query((what,))
    if isinstance(what, Mapping):
        return _from_mapping(what)
    if isinstance(what, str | bytes):
        raise TypeError(f"A filter is built with F(...) or given as JSON, not the text {what!r}")
    return Query(tuple(what))


def _from_mapping(document: Mapping[str, Any]) -> Query:
    keys = {str(k).lower(): v for k, v in document.items()}
    if "op" in keys:  # a single raw condition
        return Query((document,))
    raw = keys.get("filter") or []
    include = keys.get("includefields")
    return Query(
        tuple(raw if isinstance(raw, list) else [raw]),
        include_fields=tuple(include) if include else None,
        max_records=keys.get("maxrecords"),
    )
