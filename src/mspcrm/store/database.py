"""Engines and transactions for SQLite and PostgreSQL.

SQLite: WAL, foreign keys on, a busy timeout, ``BEGIN IMMEDIATE`` for every
write transaction (so a read-then-write never deadlocks or loses to another
writer), and a Unicode-aware ``lower()`` so case-insensitive matching treats
"É" like PostgreSQL does. PostgreSQL: psycopg 3.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

WRITE_OPTION = "mspcrm_write"
# SQLite's page cache is per connection and the pool keeps up to 24: 8 MiB each keeps a
# server with a million companies under 300 MB (64 MiB each reached 622 MB), and the OS
# page cache holds the rest of the file anyway.
SQLITE_CACHE_KIB = 8192
DEFAULT_SQLITE_FILE = "mspcrm.db"
_WAITING: dict[str, int] = {}  # database URL -> write transactions waiting to begin
_WAITING_LOCK = threading.Lock()


def normalise_url(url: str | None) -> str:
    """Accept a plain file path, ``sqlite:///...`` or ``postgresql://...``."""
    if not url:
        url = DEFAULT_SQLITE_FILE
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    return url


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any, sync: str) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        f"synchronous={sync}",
        f"cache_size=-{SQLITE_CACHE_KIB}",
        "temp_store=MEMORY",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(url: str | None, *, sqlite_sync: str = "FULL") -> Engine:
    full = normalise_url(url)
    if full.startswith("sqlite"):
        engine = sa.create_engine(
            full,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=16,
        )
        event.listen(
            engine,
            "connect",
            lambda conn, rec: _sqlite_connect(conn, rec, sqlite_sync),
        )
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # psycopg prepares a statement run five times; PostgreSQL may then pick a generic plan,
    # which cannot use a trigram index for a LIKE pattern known only at run time (measured:
    # 120-380 ms instead of 2-6 ms). Custom plans keep the pattern in view.
    engine = sa.create_engine(full, pool_size=10, max_overflow=20, pool_pre_ping=True)
    event.listen(engine, "connect", _postgres_connect)
    return engine


def _postgres_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET plan_cache_mode = force_custom_plan")
    cursor.close()
    dbapi_connection.commit()


class Database:
    """One engine and the two kinds of transaction every service uses."""

    def __init__(self, url: str | None, *, sqlite_sync: str = "FULL") -> None:
        self.url = normalise_url(url)
        self.engine = create_engine(url, sqlite_sync=sqlite_sync)
        self.raw_read_setup: list[Callable[[Any], None]] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def inline_point_reads(self) -> bool:
        """Whether a read of one row by primary key may run on the event loop: on SQLite it
        takes tens of microseconds, a WAL reader never waits for a writer, and a hop to a
        worker thread costs more than the read; on PostgreSQL it is a network round trip."""
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def raw_read(self) -> Iterator[Any]:
        """A DBAPI cursor for a short read outside SQLAlchemy's execution machinery (the hot
        reads of ``store.hot``); the read's time cap applies as in ``read``."""
        fairy = self.engine.raw_connection()
        try:
            for setup in self.raw_read_setup:
                setup(fairy.dbapi_connection)
            cursor = fairy.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        finally:
            fairy.close()  # back to the pool, which ends any transaction the driver began

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any error."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: True})
            self._count_waiting(1)
            try:
                transaction = conn.begin()  # SQLite: BEGIN IMMEDIATE waits for the lock
            finally:
                self._count_waiting(-1)
            with transaction:
                yield conn

    @property
    def writers_waiting(self) -> int:
        """Write transactions of this process waiting to begin on this database, through any
        ``Database`` object of its URL (the request limiter has its own on SQLite); a long
        job's batches give way to them (``import_run``)."""
        return _WAITING.get(self.url, 0)

    def _count_waiting(self, step: int) -> None:
        with _WAITING_LOCK:
            _WAITING[self.url] = _WAITING.get(self.url, 0) + step

    def lock(self, conn: Connection, key: str) -> None:
        """Serialise writers on ``key`` (PostgreSQL; SQLite's writes are serial already)."""
        if self.dialect == "postgresql":
            self._count_waiting(1)  # a long job's next batch waits for this writer
            try:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})
            finally:
                self._count_waiting(-1)

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        """A database a dry run may write to and throw away without holding anyone up.

        SQLite: a copy of the file taken in one read transaction (the backup API; in WAL
        mode writers go on meanwhile), in a temporary folder removed afterwards: the dry run
        holds no lock on the live file. PostgreSQL: this database without the advisory
        locks (a dry run's transaction is rolled back; MVCC lets readers and writers of
        other rows go on)."""
        if self.dialect != "sqlite":
            yield _Unlocked(self)
            return
        with tempfile.TemporaryDirectory(prefix="mspcrm-dry-run-") as folder:
            copy = Path(folder) / "snapshot.db"
            self._copy_to(copy)
            twin = Database(str(copy), sqlite_sync="OFF")
            try:
                yield twin
            finally:
                twin.dispose()

    def _copy_to(self, path: Path) -> None:
        source = self.engine.raw_connection()
        try:
            target = sqlite3.connect(path)
            try:
                source.dbapi_connection.backup(target)  # type: ignore[union-attr]
            finally:
                target.close()
        finally:
            source.close()

    def dispose(self) -> None:
        self.engine.dispose()


class _Unlocked(Database):
    """The same engine, without the advisory locks (``Database.snapshot`` on PostgreSQL)."""

    def __init__(self, base: Database) -> None:  # shares the engine: nothing opened
        self.url = base.url
        self.engine = base.engine
        self.raw_read_setup = base.raw_read_setup

    def lock(self, conn: Connection, key: str) -> None:
        return None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction that looks rows up by index and joins by hash, never by
        scanning row by row: the rows a dry run inserts are invisible to autovacuum, whose
        ANALYZE (run as other users commit) then tells the planner the table is nearly
        empty; a join looping over what is in fact 100,000s of rows ran past the 30 s
        statement cap (measured at 200k rows; with only one of the two settings, one run in
        two or three still did)."""
        with super().write() as conn:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_nestloop = off")
            yield conn
