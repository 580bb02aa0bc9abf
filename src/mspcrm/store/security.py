"""Named security levels kept in the database: per-entity create/read/update/delete rights
and the level's operation rights (import, export)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.fields import utc_now
from mspcrm.store.schema import security_levels as sl


def find_level(conn: Connection, name: str) -> Any | None:
    statement = sa.select(sl.c.name, sl.c.rights, sl.c.can_impersonate, sl.c.operations).where(
        sl.c.name == name
    )
    return conn.execute(statement).first()


def all_levels(conn: Connection) -> list[Any]:
    statement = sa.select(sl.c.name, sl.c.rights, sl.c.can_impersonate, sl.c.operations).order_by(
        sl.c.name
    )
    return list(conn.execute(statement))


def save_level(
    conn: Connection,
    name: str,
    rights: Mapping[str, str],
    *,
    can_impersonate: bool,
    operations: Sequence[str] = (),
) -> None:
    """Create or replace the level ``name``."""
    conn.execute(sa.delete(sl).where(sl.c.name == name))
    conn.execute(
        sa.insert(sl).values(
            name=name,
            rights=dict(rights),
            can_impersonate=can_impersonate,
            operations=",".join(operations),
            created_at=utc_now(),
        )
    )


def delete_level(conn: Connection, name: str) -> bool:
    return bool(conn.execute(sa.delete(sl).where(sl.c.name == name)).rowcount)
