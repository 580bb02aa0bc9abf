"""A small pure-Python evaluator of the same filters, the reference the SQL is tested against.

Semantics follow SQL as Autotask's database applies them: text compares
case-insensitively; a comparison with a null field is false (so ``noteq`` and
``notIn`` do not match nulls); ``exist`` means not null.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from mspcrm.query.ast import Condition, Group, Node


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def matches(node: Node, record: Mapping[str, Any]) -> bool:
    """Does ``record`` (field name -> stored value; UDFs by name) satisfy ``node``?"""
    if isinstance(node, Group):
        results = (matches(item, record) for item in node.items)
        return all(results) if node.op == "and" else any(results)
    return _condition(node, record.get(node.field.name))


def _condition(cond: Condition, actual: Any) -> bool:
    if cond.op == "exist":
        return actual is not None
    if cond.op == "notExist":
        return actual is None
    if actual is None:
        return False
    left = _fold(actual)
    if cond.op in ("in", "notIn"):
        inside = any(left == _fold(v) for v in cond.value)
        return inside if cond.op == "in" else not inside
    right = _fold(cond.value)
    return bool(_COMPARE[cond.op](left, right))


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "noteq": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "beginsWith": lambda a, b: str(a).startswith(b),
    "endsWith": lambda a, b: str(a).endswith(b),
    "contains": lambda a, b: b in str(a),
}
