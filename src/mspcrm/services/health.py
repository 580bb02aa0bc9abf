"""Is this server fit to serve: the database answers, and its schema is the newest.

What ``GET /healthz`` reports (a load balancer's or an orchestrator's probe). Cheap: one
``SELECT 1`` and the migration heads, the latter cached once they match (a schema only
moves forward while a server runs, by another process's migration).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from mspcrm.store.database import Database
from mspcrm.store.migrate import current_revisions, head_revisions


@dataclass(frozen=True)
class Health:
    database: str  # "ok" or the error
    migrations: str  # "current", "behind: ...", or "unknown"
    seconds: float

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.migrations == "current"

    def to_wire(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "unavailable",
            "database": self.database,
            "migrations": self.migrations,
            "checkedInSeconds": round(self.seconds, 4),
        }


class HealthCheck:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._heads = frozenset(head_revisions())
        self._current = False

    def check(self) -> Health:
        started = time.perf_counter()
        try:
            with self.db.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except Exception as exc:  # the probe's whole point: say what is wrong
            return Health(f"unreachable: {type(exc).__name__}", "unknown", _since(started))
        return Health("ok", self._migrations(), _since(started))

    def _migrations(self) -> str:
        if self._current:
            return "current"
        found = current_revisions(self.db.engine)
        if found == self._heads:
            self._current = True
            return "current"
        missing = ", ".join(sorted(self._heads - found)) or "none"
        return f"behind: needs {missing} (mspcrm db upgrade)"


def _since(started: float) -> float:
    return time.perf_counter() - started
