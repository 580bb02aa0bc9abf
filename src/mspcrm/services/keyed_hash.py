"""Keyed hashes (HMAC-SHA256) with a server key kept in the database, created on first use.

Integration codes are stored only as these hashes, and the login limiter's keys (a user
name with an address, an address) are hashed the same way, so no stored row gives back a
code, a user name or an address.
"""

from __future__ import annotations

import hashlib
import hmac
import threading

from mspcrm.store import server_keys
from mspcrm.store.database import Database

CODE_KEY = "integration-codes"  # the name migration 0012 uses for the codes it converts
LOGIN_KEY = "login-failures"


class KeyedHasher:
    """``digest(text)``: HMAC-SHA256 of ``text`` under the server key ``name`` (hex)."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def digest(self, text: str) -> str:
        return hmac.new(self._secret(), text.encode(), hashlib.sha256).hexdigest()

    def matches(self, text: str, stored: str) -> bool:
        return hmac.compare_digest(self.digest(text), stored)

    def _secret(self) -> bytes:
        key = self._key
        if key is not None:
            return key
        with self._lock:
            if self._key is None:
                with self.db.write() as conn:
                    self._key = server_keys.find_or_create(conn, self.name)
            return self._key
