"""Entity history: every write, who made it, through what, each field's old and new value.

Written in the same transaction as the write it describes. Values are kept as
JSON (datetimes as ISO text).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.fields import format_datetime, utc_now
from mspcrm.store.schema import entity_history as eh

Changes = dict[str, list[Any]]  # field -> [old, new]


def json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    return value


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> Changes:
    """Fields whose value differs between ``before`` and ``after`` (only keys of ``after``)."""
    old = before or {}
    return {
        name: [json_value(old.get(name)), json_value(value)]
        for name, value in after.items()
        if old.get(name) != value
    }


_INSERT = sa.insert(eh)
# Called with every entry ``record`` writes, in its transaction (the webhook outbox).
Observer = Callable[[Connection, str, int, str, Changes, int | None], None]
_OBSERVERS: list[Observer] = []


def observe(observer: Observer) -> Observer:
    """Have ``observer(conn, entity, record_id, op, changes, resource_id)`` called with every
    history entry, in the writing transaction (once per observer)."""
    if observer not in _OBSERVERS:
        _OBSERVERS.append(observer)
    return observer


def record(
    conn: Connection,
    *,
    entity: str,
    record_id: int,
    op: str,
    changes: Changes,
    resource_id: int | None,
    api_user_id: int | None,
    channel: str,
    context: str | None = None,
) -> None:
    row = {
        "entity": entity,
        "record_id": record_id,
        "op": op,
        "at": utc_now(),
        "resource_id": resource_id,
        "api_user_id": api_user_id,
        "channel": channel,
        "context": context,
        "changes": changes,
    }
    conn.execute(_INSERT, row)  # one statement, parameters apart: compiled once
    for observer in _OBSERVERS:
        observer(conn, entity, record_id, op, changes, resource_id)


def for_record(conn: Connection, entity: str, record_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(eh).where(eh.c.entity == entity, eh.c.record_id == record_id).order_by(eh.c.id)
    )
    return [
        {
            "id": row.id,
            "op": row.op,
            "at": format_datetime(row.at),
            "resourceID": row.resource_id,
            "apiUserID": row.api_user_id,
            "channel": row.channel,
            "context": row.context,
            "changes": row.changes,
        }
        for row in rows
    ]
