"""API credentials: one row per API user, the secret kept as an argon2id hash and the
integration code as a keyed hash (HMAC-SHA256, ``services.auth.CodeHasher``): no stored
value gives either back."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.entities import RESOURCE
from mspcrm.domain.fields import utc_now
from mspcrm.errors import ConflictError
from mspcrm.store.schema import api_credentials as ac
from mspcrm.store.schema import entity_table


def find(conn: Connection, username: str) -> Any | None:
    """The credential row joined with its resource's state, or None."""
    resources = entity_table(RESOURCE)
    statement = (
        sa.select(
            ac.c.resource_id,
            ac.c.username,
            ac.c.integration_code_hash,
            ac.c.secret_hash,
            resources.c.is_active,
            resources.c.security_level,
        )
        .join(resources, resources.c.id == ac.c.resource_id)
        .where(ac.c.username_key == username.strip().lower())
    )
    return conn.execute(statement).first()


def add(
    conn: Connection, resource_id: int, username: str, code_hash: str, secret_hash: str
) -> None:
    if find(conn, username) is not None:
        raise ConflictError(f"An API user named {username!r} already exists")
    conn.execute(
        sa.insert(ac).values(
            resource_id=resource_id,
            username=username.strip(),
            username_key=username.strip().lower(),
            integration_code_hash=code_hash,
            secret_hash=secret_hash,
            created_at=utc_now(),
        )
    )


def set_secret_hash(conn: Connection, resource_id: int, secret_hash: str) -> bool:
    statement = sa.update(ac).where(ac.c.resource_id == resource_id)
    return bool(conn.execute(statement.values(secret_hash=secret_hash)).rowcount)


def set_code_hash(conn: Connection, resource_id: int, code_hash: str) -> bool:
    statement = sa.update(ac).where(ac.c.resource_id == resource_id)
    return bool(conn.execute(statement.values(integration_code_hash=code_hash)).rowcount)
