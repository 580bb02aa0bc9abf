"""The duplicate pre-filter: blocking keys per record, indexed, so a check reads few rows."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.store.schema import match_keys as mk

MAX_KEY_LENGTH = 200


def replace(conn: Connection, entity: str, record_id: int, keys: Iterable[str]) -> None:
    conn.execute(sa.delete(mk).where(mk.c.entity == entity, mk.c.record_id == record_id))
    rows = [
        {"entity": entity, "key": k[:MAX_KEY_LENGTH], "record_id": record_id} for k in set(keys)
    ]
    if rows:
        conn.execute(sa.insert(mk), rows)


def remove(conn: Connection, entity: str, record_id: int) -> None:
    conn.execute(sa.delete(mk).where(mk.c.entity == entity, mk.c.record_id == record_id))


def candidates(
    conn: Connection, entity: str, keys: Iterable[str], *, limit: int = 200
) -> list[int]:
    """Ids sharing the most keys with ``keys``, best first."""
    wanted = sorted({k[:MAX_KEY_LENGTH] for k in keys})
    if not wanted:
        return []
    shared = sa.func.count().label("shared")
    statement = (
        sa.select(mk.c.record_id, shared)
        .where(mk.c.entity == entity, mk.c.key.in_(wanted))
        .group_by(mk.c.record_id)
        .order_by(shared.desc(), mk.c.record_id)
        .limit(limit)
    )
    return [int(row.record_id) for row in conn.execute(statement)]


def count(conn: Connection, entity: str) -> int:
    statement = sa.select(sa.func.count()).select_from(mk).where(mk.c.entity == entity)
    return int(conn.execute(statement).scalar_one())


def clear(conn: Connection, entity: str) -> None:
    conn.execute(sa.delete(mk).where(mk.c.entity == entity))
