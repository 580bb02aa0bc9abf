"""Request counters, concurrency slots and failed sign-ins, as rows every server process shares.

The caller holds the write transaction (and, on PostgreSQL, the advisory lock that
serialises admissions); these functions only read and write rows.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection

from mspcrm.store.database import WRITE_OPTION, Database
from mspcrm.store.schema import login_failures as lf
from mspcrm.store.schema import request_counts as rc
from mspcrm.store.schema import request_slots as rs

PROGRESS_STEPS = 10_000  # SQLite VM steps between two deadline checks


# ---- the rolling hour: one row per minute -------------------------------------------------
def minute_counts(conn: Connection, first_minute: int) -> list[tuple[int, int]]:
    """(minute, count) of every bucket from ``first_minute`` on, oldest first."""
    statement = (
        sa.select(rc.c.minute, rc.c.count).where(rc.c.minute >= first_minute).order_by(rc.c.minute)
    )
    return [(int(m), int(c)) for m, c in conn.execute(statement)]


def add_to_minute(conn: Connection, minute: int, amount: int, *, exists: bool) -> None:
    if exists:
        statement = sa.update(rc).where(rc.c.minute == minute).values(count=rc.c.count + amount)
        conn.execute(statement)
    else:
        conn.execute(sa.insert(rc).values(minute=minute, count=amount))


def forget_minutes_before(conn: Connection, minute: int) -> None:
    conn.execute(sa.delete(rc).where(rc.c.minute < minute))


# ---- concurrency slots: one lease row per request in flight --------------------------------
def snapshot(
    conn: Connection, first_minute: int, scope: str, now: float
) -> tuple[list[tuple[int, int]], int]:
    """In one round trip: the minute buckets from ``first_minute`` (oldest first) and the
    live (unexpired) slots of ``scope``."""
    buckets = sa.select(rc.c.minute, rc.c.count).where(rc.c.minute >= first_minute)
    slots = (
        sa.select(sa.literal(-1, sa.BigInteger()).label("minute"), sa.func.count())
        .select_from(rs)
        .where(rs.c.scope == scope, rs.c.expires_at > now)
    )
    rows = [(int(m), int(c)) for m, c in conn.execute(sa.union_all(buckets, slots))]
    live = next(c for m, c in rows if m == -1)
    return sorted((m, c) for m, c in rows if m != -1), live


def forget_expired_slots(conn: Connection, now: float) -> None:
    """Expired request leases (server registrations are kept on their own clock)."""
    conn.execute(sa.delete(rs).where(rs.c.expires_at <= now, rs.c.scope.not_like(f"{SERVER}%")))


# ---- serving processes: one registration row each, renewed while the process lives ---------
SERVER = "~server:"  # scopes of request leases are digests ("h:...", services.limits)


def register_server(conn: Connection, name: str, expires_at: float) -> None:
    scope = f"{SERVER}{name}"
    conn.execute(sa.delete(rs).where(rs.c.scope == scope))
    conn.execute(sa.insert(rs).values(scope=scope, expires_at=expires_at))


def unregister_server(conn: Connection, name: str) -> None:
    conn.execute(sa.delete(rs).where(rs.c.scope == f"{SERVER}{name}"))


def other_servers(conn: Connection, name: str, now: float) -> int:
    """Serving processes other than ``name`` whose registration is current; expired ones go."""
    conn.execute(sa.delete(rs).where(rs.c.scope.like(f"{SERVER}%"), rs.c.expires_at <= now))
    statement = sa.select(sa.func.count()).where(
        rs.c.scope.like(f"{SERVER}%"), rs.c.scope != f"{SERVER}{name}"
    )
    return int(conn.execute(statement).scalar_one())


def take_slot(conn: Connection, scope: str, expires_at: float) -> int:
    result = conn.execute(
        sa.insert(rs).values(scope=scope, expires_at=expires_at).returning(rs.c.id)
    )
    return int(result.scalar_one())


def free_slot(conn: Connection, slot_id: int) -> None:
    conn.execute(sa.delete(rs).where(rs.c.id == slot_id))


# ---- failed sign-ins ---------------------------------------------------------------------
def failure_times(conn: Connection, keys: list[str], since: float) -> dict[str, list[float]]:
    statement = (
        sa.select(lf.c.key, lf.c.at).where(lf.c.key.in_(keys), lf.c.at > since).order_by(lf.c.at)
    )
    found: dict[str, list[float]] = {key: [] for key in keys}
    for key, at in conn.execute(statement):
        found[key].append(float(at))
    return found


def add_failures(conn: Connection, keys: list[str], at: float) -> list[int]:
    """One row per key at ``at``; their ids, in the order of ``keys``."""
    return [
        int(conn.execute(sa.insert(lf).values(key=key, at=at).returning(lf.c.id)).scalar_one())
        for key in keys
    ]


def forget_failures_before(conn: Connection, at: float) -> None:
    conn.execute(sa.delete(lf).where(lf.c.at <= at))


def forget_failures(conn: Connection, row_ids: tuple[int, ...]) -> None:
    if row_ids:
        conn.execute(sa.delete(lf).where(lf.c.id.in_(row_ids)))


def clear_failures(conn: Connection, key: str) -> None:
    conn.execute(sa.delete(lf).where(lf.c.key == key))


# ---- query time --------------------------------------------------------------------------
def install_query_timeout(db: Database, seconds: float) -> None:
    """Cap statement time: PostgreSQL ``statement_timeout`` on every new connection; SQLite
    a progress handler that interrupts a read transaction past its deadline (writes are
    never interrupted on SQLite: they hold the lock only for their own short work)."""
    if seconds <= 0:
        return
    if db.dialect == "postgresql":
        milliseconds = max(1, round(seconds * 1000))

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"SET statement_timeout = {milliseconds}")
            cursor.close()
            dbapi_connection.commit()

        event.listen(db.engine, "connect", on_connect)
        db.engine.dispose()  # connections opened before (migrations) are replaced
        return

    def cap_read(raw: Any) -> None:
        deadline = time.monotonic() + seconds
        raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, PROGRESS_STEPS)

    def on_begin(conn: Connection) -> None:
        raw = conn.connection.dbapi_connection
        if raw is None:
            return
        if conn.get_execution_options().get(WRITE_OPTION, False):
            raw.set_progress_handler(None, 0)
            return
        cap_read(raw)

    event.listen(db.engine, "begin", on_begin)
    db.raw_read_setup.append(cap_read)
