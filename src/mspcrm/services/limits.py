"""Autotask's request limits, shared through the database by every server process.

* A rolling-hour threshold per database (default 10,000): one row per minute in
  ``request_counts``; a request is admitted while the last 60 minute buckets hold
  fewer than the threshold. A refused request is not counted (Autotask unblocks
  "when usage falls"), and its ``Retry-After`` is the exact time until enough of the
  oldest buckets leave the window.
* At most N (default 3) requests in flight per integration code + endpoint.
* Failed sign-ins per user name with address and per address, with a growing wait
  (``LoginLimiter``, rows in ``login_failures``).

**Two ways to admit.** A server process registers itself in the database when it
starts serving (a row renewed while it lives). While it is the only one registered,
it admits requests from memory (``LocalState``): exact, since nobody else counts, and
no database write per request; it writes the counts it kept at most every
``sync_seconds`` (and whenever a request is within ``margin`` of the threshold, or
``ThresholdInformation`` is asked). As soon as another serving process is registered,
every admission is one short write transaction again (a lease row per request in
``request_slots``, serialised by a PostgreSQL advisory lock or SQLite's ``BEGIN
IMMEDIATE``), so both see each other's slots and counts exactly; the slots already held
from memory are written as lease rows at that moment. A process learns of a newcomer at
its next sync (within ``sync_seconds``). Leases expire (a process killed mid-request
frees its slots after the lease) and registrations expire (``server_ttl``, real time).
On SQLite the limiter uses its own connections with ``synchronous=NORMAL``: counters need
not survive a power cut. The clock is injectable for tests.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from mspcrm.errors import MspcrmError, QueryError, RateLimitedError, ThreadLimitError
from mspcrm.services.keyed_hash import LOGIN_KEY, KeyedHasher
from mspcrm.services.local_limits import LocalState
from mspcrm.store import limits as store
from mspcrm.store.database import Database

Clock = Callable[[], float]
HOUR, MINUTE = 3600, 60
THREAD_MESSAGE = "The Autotask API thread threshold of {n} threads has been exceeded."


@dataclass(frozen=True)
class Admission:
    slot_id: int | None  # the lease row written for this request, if any
    count: int  # requests in the rolling hour, this one included
    token: int = 0  # this process's own record of the slot


def lease_scope(scope: str) -> str:
    """What is kept for a scope (integration code + endpoint): a digest, so no integration
    code is ever written in plain (lease rows are in the database)."""
    return "h:" + hashlib.sha256(scope.encode()).hexdigest()[:40]


class RequestLimiter:
    def __init__(
        self,
        db: Database,
        *,
        per_hour: int = 10_000,
        threads: int = 3,
        lease_seconds: float = 300.0,
        clock: Clock = time.time,
        sync_seconds: float = 1.0,
        server_ttl: float = 30.0,
    ) -> None:
        self.db = db
        self.per_hour = per_hour
        self.threads = threads
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.sync_seconds = sync_seconds
        self.server_ttl = server_ttl
        self.margin = per_hour // 100  # this close to the threshold, every request syncs
        self.name = secrets.token_hex(8)
        self.shared = True  # another server may count too: until a sync says otherwise
        self._registered_at = 0.0
        self._state = LocalState()
        self._syncing = False
        self._lock = threading.Lock()

    # ---- serving processes ------------------------------------------------------------
    def register(self) -> None:
        """This process serves requests: announce it (renewed at syncs and by ``renew``)."""
        with self.db.write() as conn:
            self._register(conn)

    def renew(self) -> None:
        if time.time() - self._registered_at > self.server_ttl / 3:
            self.register()

    def unregister(self) -> None:
        if not self._registered_at:
            return
        with self.db.write() as conn:
            store.unregister_server(conn, self.name)
        self._registered_at = 0.0

    def _register(self, conn: Connection) -> None:
        now = time.time()  # real time: registrations outlive any test's fake request clock
        store.register_server(conn, self.name, now + self.server_ttl)
        self._registered_at = now

    # ---- admission ----------------------------------------------------------------------
    def try_admit(self, scope: str) -> Admission | None:
        """Admit from memory when this process may (never blocks); None: call ``admit``."""
        scope = lease_scope(scope)
        with self._lock:
            state, now = self._state, self.clock()
            if self.shared or state.synced_at is None or not self._fresh(now - state.synced_at):
                return None
            minute = int(now // MINUTE)
            total = sum(c for _, c in state.buckets(minute - 59))
            if self.per_hour > 0 and total + 1 + self.margin >= self.per_hour:
                return None  # near the threshold: count it in the database, exactly
            if self.threads > 0 and state.live(scope, now) >= self.threads:
                raise ThreadLimitError(THREAD_MESSAGE.format(n=self.threads), retry_after=1)
            token = state.hold(scope, now + self.lease_seconds) if self.threads > 0 else 0
            state.count(minute)
            return Admission(None, total + 1, token)

    def _fresh(self, age: float) -> bool:
        """Whether memory may still admit: within ``sync_seconds`` of the last sync, or a
        little longer while one caller syncs (the others need not queue behind it)."""
        if 0 <= age < self.sync_seconds:
            return True
        if not 0 <= age < 10 * self.sync_seconds:
            return False  # long unsynced (or the clock went back): everyone syncs
        if self._syncing:
            return True
        self._syncing = True  # this caller syncs (``sync_admit``); the next use memory
        return False

    def admit(self, scope: str) -> Admission:
        """Count one request and take a slot for ``scope``, or refuse with the wait."""
        fast = self.try_admit(scope)
        return fast if fast is not None else self.sync_admit(scope)

    def sync_admit(self, scope: str) -> Admission:
        """``admit`` through the database (when ``try_admit`` said None)."""
        try:
            return self._sync_admit(lease_scope(scope))
        finally:
            self._syncing = False

    def _sync_admit(self, scope: str) -> Admission:
        with self.db.write() as conn:
            self._transaction_setup(conn)
            now = self.clock()  # read once the write lock is held: no stale minute
            buckets, live = self._sync(conn, now, scope)
            total = sum(count for _, count in buckets)
            if self.per_hour > 0 and total >= self.per_hour:
                raise RateLimitedError(
                    f"The API request threshold of {self.per_hour} requests per hour has been "
                    "reached; retry later",
                    retry_after=self._wait(buckets, total, now),
                )
            admission = self._take_slot(conn, scope, now, live, total + 1)
            minute = int(now // MINUTE)
            store.add_to_minute(conn, minute, 1, exists=any(m == minute for m, _ in buckets))
            with self._lock:
                self._state.stored[minute] = self._state.stored.get(minute, 0) + 1
        return admission

    def _transaction_setup(self, conn: Connection) -> None:
        if self.db.dialect == "postgresql":  # one round trip: no WAL flush wait, serialised
            conn.exec_driver_sql(
                "SELECT set_config('synchronous_commit', 'off', true), "
                "pg_advisory_xact_lock(hashtext('mspcrm-request-limits'))"
            )

    def _sync(self, conn: Connection, now: float, scope: str) -> tuple[list[tuple[int, int]], int]:
        """Write what memory counted, learn who else serves, read the window and ``scope``'s
        leases; returns the buckets and the live slots of ``scope`` (in the database when
        shared, else this process's own)."""
        if time.time() - self._registered_at > self.server_ttl / 3:
            self._register(conn)
        shared = store.other_servers(conn, self.name, time.time()) > 0
        minute = int(now // MINUTE)
        with self._lock:
            pending = self._state.take_pending()
        buckets, live_rows = store.snapshot(conn, minute - 59, scope, now)
        if not any(m == minute for m, _ in buckets):  # a new minute: drop what left
            store.forget_minutes_before(conn, minute - 59)
            store.forget_expired_slots(conn, now)
        stored = dict(buckets)
        for bucket, amount in pending.items():
            if bucket >= minute - 59:
                store.add_to_minute(conn, bucket, amount, exists=bucket in stored)
                stored[bucket] = stored.get(bucket, 0) + amount
        with self._lock:
            if shared and not self.shared:
                self._publish(conn)
            self.shared = shared
            self._state.stored, self._state.synced_at = stored, now
            live = live_rows if shared else self._state.live(scope, now)
        return sorted(stored.items()), live

    def _publish(self, conn: Connection) -> None:
        """Another server appeared: the slots held from memory become lease rows."""
        for _, held in self._state.unpublished():
            held.slot_id = store.take_slot(conn, held.scope, held.expires_at)

    def _take_slot(
        self, conn: Connection, scope: str, now: float, live: int, count: int
    ) -> Admission:
        if self.threads <= 0:
            return Admission(None, count)
        if live >= self.threads:
            raise ThreadLimitError(THREAD_MESSAGE.format(n=self.threads), retry_after=1)
        expires = now + self.lease_seconds
        slot_id = store.take_slot(conn, scope, expires) if self.shared else None
        with self._lock:
            token = self._state.hold(scope, expires, slot_id)
        return Admission(slot_id, count, token)

    def _wait(self, buckets: list[tuple[int, int]], total: int, now: float) -> int:
        """Seconds until the oldest buckets holding ``total - per_hour + 1`` requests expire."""
        must_leave, left = total - self.per_hour + 1, 0
        for minute, count in buckets:
            left += count
            if left >= must_leave:
                return max(1, math.ceil(minute * MINUTE + HOUR - now))
        return 1

    # ---- release ------------------------------------------------------------------------
    def forget(self, admission: Admission) -> int | None:
        """End the request's hold in memory (never blocks); the lease row to delete, if any."""
        with self._lock:
            slot_id = self._state.drop(admission.token)
        return slot_id if slot_id is not None else admission.slot_id

    def free(self, slot_id: int) -> None:
        with self.db.write() as conn:
            if self.db.dialect == "postgresql":
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            store.free_slot(conn, slot_id)

    def release(self, admission: Admission) -> None:
        slot_id = self.forget(admission)
        if slot_id is not None:
            self.free(slot_id)

    # ---- reading and recording ----------------------------------------------------------
    def count(self) -> int:
        """Requests in the rolling hour (what memory counted is written first)."""
        self.flush()
        minute = int(self.clock() // MINUTE)
        with self.db.read() as conn:
            return sum(count for _, count in store.minute_counts(conn, minute - 59))

    def record(self, amount: int) -> None:
        """Count ``amount`` requests now without serving them (tests, imports of usage)."""
        with self._lock:
            self._state.count(int(self.clock() // MINUTE), amount)
        self.flush()

    def flush(self) -> None:
        """Write the counts kept in memory."""
        with self._lock:
            if not self._state.pending:
                return
        with self.db.write() as conn:
            self._transaction_setup(conn)
            self._sync(conn, self.clock(), "")


@dataclass(frozen=True)
class Attempt:
    """A sign-in being verified: its rows in ``login_failures`` (kept if it fails)."""

    pair: str  # keyed hash of the user name with the address
    address: str  # keyed hash of the address alone
    rows: tuple[int, ...] = ()  # this attempt's rows: (user + address, address)


@dataclass(frozen=True)
class Backoff:
    """Failed sign-ins allowed before waiting, then a wait doubling with each failure."""

    free: int  # failures before any wait
    base: float = 1.0  # the first wait, in seconds
    most: float = 300.0  # the longest wait

    def wait(self, failures: int) -> float:
        if self.free <= 0 or failures < self.free:
            return 0.0
        return min(self.most, self.base * 2.0 ** min(failures - self.free, 30))


class LoginLimiter:
    """Failed sign-ins slow the one who fails, never anyone else.

    Two counts, each with its own allowance and a wait that doubles with every failure
    past it (``Backoff``): per user name *and* address (one client guessing one user's
    secret) and per address alone (one client trying many users). A right secret from
    another address is never refused because of these failures; a success clears the
    user-and-address count. Every attempt is recorded *before* its argon2 check, in one
    serialised write transaction, so parallel guesses are counted exactly. Rows live in
    ``login_failures`` (shared by every process, kept across restarts) for ``window``
    seconds after each failure.
    """

    def __init__(
        self,
        db: Database,
        *,
        limit: int = 10,
        address_limit: int = 30,
        window: float = 900.0,
        backoff: float = 1.0,
        max_backoff: float = 300.0,
        clock: Clock = time.time,
        hasher: KeyedHasher | None = None,
    ) -> None:
        self.db = db
        self.pair_backoff = Backoff(limit, backoff, max_backoff)
        self.address_backoff = Backoff(address_limit, backoff, max_backoff)
        self.window = window
        self.clock = clock
        self.hasher = hasher or KeyedHasher(db, LOGIN_KEY)

    @property
    def enabled(self) -> bool:
        return self.pair_backoff.free > 0 or self.address_backoff.free > 0

    def keys(self, username: str, address: str) -> tuple[str, str]:
        """Keyed hashes: no user name or address is stored."""
        pair = self.hasher.digest(f"pair:{username.strip().lower()}\x00{address}")
        return pair, self.hasher.digest(f"addr:{address}")

    def begin(self, username: str, address: str) -> Attempt | None:
        """Record an attempt, or refuse it (429 with the wait) while either count waits."""
        if not self.enabled:
            return None
        pair, addr = self.keys(username, address)
        with self.db.write() as conn:
            if self.db.dialect == "postgresql":
                conn.exec_driver_sql(
                    "SELECT pg_advisory_xact_lock(hashtext('mspcrm-login-failures'))"
                )
            now = self.clock()
            store.forget_failures_before(conn, now - self.window)
            found = store.failure_times(conn, [pair, addr], now - self.window)
            wait = max(
                self._remaining(found[pair], self.pair_backoff, now),
                self._remaining(found[addr], self.address_backoff, now),
            )
            if wait > 0:
                raise RateLimitedError(
                    "Too many failed sign-in attempts from this address: retry in "
                    f"{math.ceil(wait)} seconds",
                    retry_after=max(1, math.ceil(wait)),
                )
            rows = store.add_failures(conn, [pair, addr], now)
        return Attempt(pair, addr, tuple(rows))

    @staticmethod
    def _remaining(times: list[float], backoff: Backoff, now: float) -> float:
        if not times:
            return 0.0
        return max(0.0, times[-1] + backoff.wait(len(times)) - now)

    def succeeded(self, attempt: Attempt | None) -> None:
        """The secret was right: the user-and-address count starts again, and this attempt
        does not count against the address."""
        if attempt is None:
            return
        with self.db.write() as conn:
            store.clear_failures(conn, attempt.pair)
            store.forget_failures(conn, attempt.rows)

    def cancel(self, attempt: Attempt | None) -> None:
        """The check itself failed (not the caller): the attempt does not count."""
        if attempt is None:
            return
        with self.db.write() as conn:
            store.forget_failures(conn, attempt.rows)


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
