"""Web sign-in rows: a resource's password hash, and server-side sessions by hashed id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.entities import RESOURCE
from mspcrm.domain.fields import utc_now
from mspcrm.store.schema import entity_table
from mspcrm.store.schema import web_passwords as wp
from mspcrm.store.schema import web_sessions as ws


def find_account(conn: Connection, username: str) -> Any | None:
    """The resource signing in as ``username`` (its userName or e-mail, any case), with its
    password hash (None when it has none) and state."""
    resources = entity_table(RESOURCE)
    key = username.strip().lower()
    statement = (
        sa.select(
            resources.c.id,
            resources.c.is_active,
            resources.c.security_level,
            wp.c.password_hash,
        )
        .select_from(resources.outerjoin(wp, wp.c.resource_id == resources.c.id))
        .where(
            sa.or_(
                sa.func.lower(resources.c.user_name) == key, sa.func.lower(resources.c.email) == key
            )
        )
        .order_by(resources.c.id)
    )
    return conn.execute(statement).first()


def save_password(conn: Connection, resource_id: int, password_hash: str) -> None:
    conn.execute(sa.delete(wp).where(wp.c.resource_id == resource_id))
    conn.execute(
        sa.insert(wp).values(
            resource_id=resource_id, password_hash=password_hash, updated_at=utc_now()
        )
    )


def add_session(
    conn: Connection, id_hash: str, resource_id: int, csrf_token: str, expires_at: datetime
) -> None:
    conn.execute(
        sa.insert(ws).values(
            id_hash=id_hash,
            resource_id=resource_id,
            csrf_token=csrf_token,
            created_at=utc_now(),
            expires_at=expires_at,
        )
    )


def find_session(conn: Connection, id_hash: str, now: datetime) -> Any | None:
    """The live session with its resource's state, or None (expired or unknown)."""
    resources = entity_table(RESOURCE)
    statement = (
        sa.select(
            ws.c.resource_id,
            ws.c.csrf_token,
            resources.c.is_active,
            resources.c.security_level,
            resources.c.first_name,
            resources.c.last_name,
        )
        .join(resources, resources.c.id == ws.c.resource_id)
        .where(ws.c.id_hash == id_hash, ws.c.expires_at > now)
    )
    return conn.execute(statement).first()


def delete_session(conn: Connection, id_hash: str) -> None:
    conn.execute(sa.delete(ws).where(ws.c.id_hash == id_hash))


def delete_expired(conn: Connection, now: datetime) -> None:
    conn.execute(sa.delete(ws).where(ws.c.expires_at <= now))
