"""What one server process knows of the request limits between two visits to the database.

Pure bookkeeping, no I/O: the minute buckets as the database held them at the last
sync, the requests this process admitted since (not yet written), and the slots its
requests in flight hold (each with a lease, so a slot whose request never ended
expires like a database lease). ``RequestLimiter`` decides when this is enough to
admit a request without the database, and when it is not.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field


@dataclass
class Hold:
    scope: str
    expires_at: float
    slot_id: int | None = None  # the shared lease row, once written to the database


@dataclass
class LocalState:
    stored: dict[int, int] = field(default_factory=dict)  # minute -> count, at the last sync
    pending: dict[int, int] = field(default_factory=dict)  # minute -> admitted since
    holds: dict[int, Hold] = field(default_factory=dict)  # token -> slot held in flight
    synced_at: float | None = None  # limiter clock of the last sync
    _tokens: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def buckets(self, first_minute: int) -> list[tuple[int, int]]:
        """Stored and pending counts merged, from ``first_minute`` on, oldest first."""
        merged = {m: c for m, c in self.stored.items() if m >= first_minute}
        for minute, count in self.pending.items():
            if minute >= first_minute:
                merged[minute] = merged.get(minute, 0) + count
        return sorted(merged.items())

    def count(self, minute: int, amount: int = 1) -> None:
        self.pending[minute] = self.pending.get(minute, 0) + amount

    def take_pending(self) -> dict[int, int]:
        taken, self.pending = self.pending, {}
        return taken

    def live(self, scope: str, now: float) -> int:
        expired = [t for t, h in self.holds.items() if h.expires_at <= now]
        for token in expired:
            del self.holds[token]
        return sum(1 for h in self.holds.values() if h.scope == scope)

    def hold(self, scope: str, expires_at: float, slot_id: int | None = None) -> int:
        token = next(self._tokens)
        self.holds[token] = Hold(scope, expires_at, slot_id)
        return token

    def unpublished(self) -> list[tuple[int, Hold]]:
        return [(t, h) for t, h in self.holds.items() if h.slot_id is None]

    def drop(self, token: int) -> int | None:
        """Forget a hold; its lease row's id when it has one (to delete)."""
        held = self.holds.pop(token, None)
        return None if held is None else held.slot_id
