"""Installation settings: a few named values every server process of one database shares."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.fields import utc_now
from mspcrm.store.schema import installation_settings as table


def get(conn: Connection, name: str) -> str | None:
    """The setting's value, None when it was never set."""
    found = conn.execute(sa.select(table.c.value).where(table.c.name == name)).scalar()
    return None if found is None else str(found)


def put(conn: Connection, name: str, value: str) -> None:
    """Set (or replace) one setting."""
    conn.execute(sa.delete(table).where(table.c.name == name))
    conn.execute(sa.insert(table).values(name=name, value=value, updated_at=utc_now()))


def every(conn: Connection) -> dict[str, str]:
    """Every setting that was set, by name."""
    rows = conn.execute(sa.select(table.c.name, table.c.value).order_by(table.c.name))
    return {str(name): str(value) for name, value in rows}
