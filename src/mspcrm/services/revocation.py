"""Revocation at once: a change to who may call is seen on the next request of every process.

Deactivating a resource, changing its security level, changing or removing a credential,
and defining, redefining or removing a security level bump one counter in the database
(triggers, so every path counts, a manual ``UPDATE`` included). Each authenticated request
reads it (``check``: one one-row statement); when it moved, the caches that decide who may
call (verified credentials, security levels) are dropped before the request is served.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from mspcrm.store.auth_generation import GenerationReader
from mspcrm.store.database import Database


class Revocations:
    def __init__(self, db: Database) -> None:
        self.reader = GenerationReader(db)
        self.seen: int | None = None
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (drop a cache) whenever the counter moved."""
        self._listeners.append(listener)

    def check(self) -> int:
        """The current generation; the listeners have run if it changed since last seen."""
        current = self.reader.read()
        with self._lock:
            changed, self.seen = current != self.seen, current
        if changed:
            for listener in self._listeners:
                listener()
        return current

    def close(self) -> None:
        self.reader.close()
