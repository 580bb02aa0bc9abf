"""The typed filter tree a parsed query becomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mspcrm.domain.fields import Field

# canonical spelling of every comparison operator, keyed by lower case
OPERATORS = {
    op.lower(): op
    for op in (
        "eq",
        "noteq",
        "gt",
        "gte",
        "lt",
        "lte",
        "beginsWith",
        "endsWith",
        "contains",
        "exist",
        "notExist",
        "in",
        "notIn",
    )
}
GROUP_OPERATORS = ("and", "or")
TEXT_OPERATORS = ("beginsWith", "endsWith", "contains")
LIST_OPERATORS = ("in", "notIn")
NULL_OPERATORS = ("exist", "notExist")


@dataclass(frozen=True)
class Condition:
    op: str
    field: Field
    value: Any = None  # a tuple for in/notIn, None for exist/notExist


@dataclass(frozen=True)
class Group:
    op: str  # "and" | "or"
    items: tuple[Node, ...]


Node = Condition | Group


@dataclass(frozen=True)
class Query:
    where: Group  # top level: "and" of the filter's items
    include: tuple[Field, ...] | None = None  # None: all fields
    max_records: int = 500

    @property
    def udf_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in walk_fields(self.where) if f.udf)


def walk_fields(node: Node) -> list[Field]:
    if isinstance(node, Condition):
        return [node.field]
    return [f for item in node.items for f in walk_fields(item)]
