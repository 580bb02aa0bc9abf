"""Autotask's request limits, with their state in the database so every server process shares it.

* A rolling-hour threshold per database (default 10,000): one row per minute in
  ``request_counts``; a request is admitted while the last 60 minute buckets hold
  fewer than the threshold. A refused request is not counted (Autotask unblocks
  "when usage falls"), and its ``Retry-After`` is the exact time until enough of the
  oldest buckets leave the window.
* At most N (default 3) requests in flight per integration code + endpoint: one
  lease row per request in ``request_slots``, deleted when the request ends and
  ignored once expired (a process killed mid-request frees its slots after the
  lease, so a crash never blocks an integration for good).
* Failed sign-ins per username and per client address (``login_failures``).

Admission is one short write transaction (serialised by a PostgreSQL advisory lock;
SQLite's ``BEGIN IMMEDIATE`` serialises it already), release one more. On SQLite the
limiter uses its own connections with ``synchronous=NORMAL``: counters need not
survive a power cut, so they cost no fsync. The clock is injectable for tests.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from mspcrm.errors import MspcrmError, QueryError, RateLimitedError, ThreadLimitError
from mspcrm.store import limits as store
from mspcrm.store.database import Database

Clock = Callable[[], float]
HOUR, MINUTE = 3600, 60
THREAD_MESSAGE = "The Autotask API thread threshold of {n} threads has been exceeded."


@dataclass(frozen=True)
class Admission:
    slot_id: int | None
    count: int  # requests in the rolling hour, this one included


class RequestLimiter:
    def __init__(
        self,
        db: Database,
        *,
        per_hour: int = 10_000,
        threads: int = 3,
        lease_seconds: float = 300.0,
        clock: Clock = time.time,
    ) -> None:
        self.db = db
        self.per_hour = per_hour
        self.threads = threads
        self.lease_seconds = lease_seconds
        self.clock = clock

    def _transaction_setup(self, conn: Connection) -> None:
        if self.db.dialect == "postgresql":  # one round trip: no WAL flush wait, serialised
            conn.exec_driver_sql(
                "SELECT set_config('synchronous_commit', 'off', true), "
                "pg_advisory_xact_lock(hashtext('mspcrm-request-limits'))"
            )

    def admit(self, scope: str) -> Admission:
        """Count one request and take a slot for ``scope``, or refuse with the wait."""
        with self.db.write() as conn:
            self._transaction_setup(conn)
            now = self.clock()  # read once the write lock is held: no stale minute
            minute = int(now // MINUTE)
            buckets, live = store.snapshot(conn, minute - 59, scope, now)
            total = sum(count for _, count in buckets)
            if self.per_hour > 0 and total >= self.per_hour:
                raise RateLimitedError(
                    f"The API request threshold of {self.per_hour} requests per hour has been "
                    "reached; retry later",
                    retry_after=self._wait(buckets, total, now),
                )
            slot = self._take_slot(conn, scope, now, live)
            current = any(bucket == minute for bucket, _ in buckets)
            if not current:  # once a minute: drop what left the window and expired leases
                store.forget_minutes_before(conn, minute - 59)
                store.forget_expired_slots(conn, now)
            store.add_to_minute(conn, minute, 1, exists=current)
        return Admission(slot, total + 1)

    def _take_slot(self, conn: Connection, scope: str, now: float, live: int) -> int | None:
        if self.threads <= 0:
            return None
        if live >= self.threads:
            raise ThreadLimitError(THREAD_MESSAGE.format(n=self.threads), retry_after=1)
        return store.take_slot(conn, scope, now + self.lease_seconds)

    def _wait(self, buckets: list[tuple[int, int]], total: int, now: float) -> int:
        """Seconds until the oldest buckets holding ``total - per_hour + 1`` requests expire."""
        must_leave, left = total - self.per_hour + 1, 0
        for minute, count in buckets:
            left += count
            if left >= must_leave:
                return max(1, math.ceil(minute * MINUTE + HOUR - now))
        return 1

    def release(self, admission: Admission) -> None:
        if admission.slot_id is None:
            return
        with self.db.write() as conn:
            if self.db.dialect == "postgresql":
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            store.free_slot(conn, admission.slot_id)

    def count(self) -> int:
        """Requests in the rolling hour."""
        minute = int(self.clock() // MINUTE)
        with self.db.read() as conn:
            return sum(count for _, count in store.minute_counts(conn, minute - 59))

    def record(self, amount: int) -> None:
        """Count ``amount`` requests now without serving them (tests, imports of usage)."""
        minute = int(self.clock() // MINUTE)
        with self.db.write() as conn:
            self._transaction_setup(conn)
            exists = any(m == minute for m, _ in store.minute_counts(conn, minute))
            store.add_to_minute(conn, minute, amount, exists=exists)


class LoginLimiter:
    """At most ``limit`` failed sign-ins per username and per client address in ``window``."""

    def __init__(
        self, db: Database, *, limit: int = 10, window: float = 300.0, clock: Clock = time.time
    ) -> None:
        self.db = db
        self.limit = limit
        self.window = window
        self.clock = clock

    @staticmethod
    def keys(username: str, address: str) -> list[str]:
        """Hashed keys: no raw header text is stored."""
        raw = [f"user:{username.strip().lower()}", f"addr:{address}"]
        return [hashlib.sha256(k.encode()).hexdigest() for k in raw]

    def check(self, keys: list[str]) -> None:
        if self.limit <= 0:
            return
        now = self.clock()
        with self.db.read() as conn:
            found = store.failure_times(conn, keys, now - self.window)
        for times in found.values():
            if len(times) >= self.limit:
                wait = times[len(times) - self.limit] + self.window - now
                raise RateLimitedError(
                    f"Too many failed sign-in attempts for this user or address: retry in "
                    f"{math.ceil(wait)} seconds",
                    retry_after=max(1, math.ceil(wait)),
                )

    def failed(self, keys: list[str]) -> None:
        if self.limit <= 0:
            return
        now = self.clock()
        with self.db.write() as conn:
            store.add_failures(conn, keys, now, forget_before=now - self.window)

    def succeeded(self, keys: list[str]) -> None:
        if self.limit > 0:
            with self.db.write() as conn:
                store.clear_failures(conn, keys[0])


def timeout_error(exc: BaseException, seconds: float) -> MspcrmError | None:
    """The clear error for a statement stopped by the query-time cap, else None."""
    if not isinstance(exc, OperationalError):
        return None
    text = str(exc.orig or exc).lower()
    if "interrupted" in text or "statement timeout" in text:
        return QueryError(
            f"The query ran longer than the {seconds:g} s limit and was stopped: narrow the filter"
        )
    return None
