"""The revocation counter (``auth_generation``, bumped by triggers: migration 0012), read on
every authenticated request: one indexed one-row read on a connection of its own, kept
outside the pool (no checkout, no pre-ping), so it costs one statement and nothing more.
One connection per process (reads are serialised by a lock: they take microseconds on
SQLite, one round trip on PostgreSQL), so it never multiplies the server's connections."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from mspcrm.store.database import Database

READ = "SELECT generation FROM auth_generation WHERE id = 1"


class GenerationReader:
    """``read()``: the current generation (0 while the row is missing)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._raw: Any = None
        self._lock = threading.Lock()

    def read(self) -> int:
        with self._lock:
            try:
                return self._read(self._connection())
            except Exception:  # a dropped connection (server restart, network): one retry
                self._close()
                return self._read(self._connection())

    def _read(self, raw: Any) -> int:
        cursor = raw.cursor()
        try:
            cursor.execute(READ)
            row = cursor.fetchone()
        finally:
            cursor.close()
        return 0 if row is None else int(row[0])

    def _connection(self) -> Any:
        if self._raw is None:
            fairy = self.db.engine.raw_connection()
            fairy.detach()  # ours for the process's life, never returned to the pool
            raw: Any = fairy.dbapi_connection
            if self.db.dialect == "postgresql":
                raw.autocommit = True  # each read sees the newest commit, one round trip
            self._raw = raw
        return self._raw

    def _close(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            with contextlib.suppress(Exception):  # already broken
                raw.close()

    def close(self) -> None:
        with self._lock:
            self._close()
