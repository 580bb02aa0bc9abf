"""AST -> the Autotask query JSON (what the SDK's builder sends)."""

from __future__ import annotations

from typing import Any

from mspcrm.domain.fields import format_datetime
from mspcrm.query.ast import Group, Node, Query


def render_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [render_value(v) for v in value]
    if hasattr(value, "isoformat"):
        return format_datetime(value)
    return value


def render_node(node: Node) -> dict[str, Any]:
    if isinstance(node, Group):
        return {"op": node.op, "items": [render_node(i) for i in node.items]}
    out: dict[str, Any] = {"op": node.op, "field": node.field.name}
    if node.op not in ("exist", "notExist"):
        out["value"] = render_value(node.value)
    if node.field.udf:
        out["udf"] = True
    return out


def render_query(query: Query) -> dict[str, Any]:
    doc: dict[str, Any] = {"filter": [render_node(i) for i in query.where.items]}
    if query.include is not None:
        doc["IncludeFields"] = [f.name for f in query.include]
    if query.max_records != 500:
        doc["MaxRecords"] = query.max_records
    return doc
