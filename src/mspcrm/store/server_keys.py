"""Secrets of the server kept in the database (shared by every process), created on first use."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from mspcrm.domain.fields import utc_now
from mspcrm.store.schema import server_keys as sk

KEY_BYTES = 32


def find(conn: Connection, name: str) -> bytes | None:
    found = conn.execute(sa.select(sk.c.secret).where(sk.c.name == name)).scalar()
    return None if found is None else bytes.fromhex(str(found))


def find_or_create(conn: Connection, name: str) -> bytes:
    """The key ``name``; a new random one when there is none yet (in a write transaction; a
    process that loses the race to create it reads the winner's)."""
    found = find(conn, name)
    if found is not None:
        return found
    created = secrets.token_hex(KEY_BYTES)
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(sk).values(name=name, secret=created, created_at=utc_now()))
    except IntegrityError:
        again = find(conn, name)
        if again is None:
            raise
        return again
    return bytes.fromhex(created)
