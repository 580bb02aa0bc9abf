"""The revocation counter (``auth_generation``, bumped by triggers: migration 0012), read on
every authenticated request: one indexed one-row read on a connection kept per thread
outside the pool (no checkout, no pre-ping), so it costs one statement and nothing more."""

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
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()

    def read(self) -> int:
        try:
            return self._read(self._connection())
        except Exception:  # a dropped connection (server restart, network): one retry
            self._forget_connection()
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
        raw: Any = getattr(self._local, "raw", None)
        if raw is None:
            fairy = self.db.engine.raw_connection()
            fairy.detach()  # ours for the thread's life, never returned to the pool
            raw = fairy.dbapi_connection
            if self.db.dialect == "postgresql":
                raw.autocommit = True  # each read sees the newest commit, one round trip
            self._local.raw = raw
            with self._lock:
                self._opened.append(raw)
        return raw

    def _forget_connection(self) -> None:
        raw = getattr(self._local, "raw", None)
        self._local.raw = None
        if raw is None:
            return
        with self._lock:
            if raw in self._opened:
                self._opened.remove(raw)
        with contextlib.suppress(Exception):  # already broken
            raw.close()

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for raw in opened:
            with contextlib.suppress(Exception):  # a broken connection at shutdown
                raw.close()
