"""API credentials: argon2id hashes, verified once, then served from a short cache.

An unknown user and a wrong secret get the same answer (status and message) after the
same work (one argon2id verification, one keyed hash of the code), so neither the
answer nor its timing tells which user names exist. Integration codes are compared as
keyed hashes (``KeyedHasher``); the stored hash never gives the code back.

The cache is exact: every use first reads the revocation counter (``Revocations``), and
an entry verified under an older counter is never served, so a deactivated user, a
changed secret or a changed security level takes effect on the next request in every
process.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mspcrm.domain.entities import RESOURCE
from mspcrm.errors import AuthenticationError, PermissionDeniedError
from mspcrm.services.context import Actor
from mspcrm.services.keyed_hash import CODE_KEY, KeyedHasher
from mspcrm.services.limits import LoginLimiter
from mspcrm.services.permissions import Permissions
from mspcrm.services.revocation import Revocations
from mspcrm.store import credentials, repository
from mspcrm.store.database import Database

# OWASP: argon2id, 19 MiB, 2 iterations, 1 lane
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(24))
IMPERSONATING_LEVELS = ("full",)
BAD_CREDENTIALS = "Invalid credentials: unknown UserName or wrong Secret"


def hash_secret(secret: str) -> str:
    return HASHER.hash(secret)


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def new_integration_code() -> str:
    return secrets.token_hex(14)[:27].upper()


@dataclass(frozen=True)
class Principal:
    resource_id: int
    username: str
    security_level: str


def _acting(principal: Principal, resource_id: int) -> Actor:
    return Actor(
        resource_id=resource_id,
        channel="api",
        api_user_id=principal.resource_id,
        security_level=principal.security_level,
    )


class Authenticator:
    """Checks the three Autotask headers and returns who is calling."""

    def __init__(
        self,
        db: Database,
        cache_seconds: float = 60.0,
        *,
        permissions: Permissions | None = None,
        logins: LoginLimiter | None = None,
        codes: KeyedHasher | None = None,
        revocations: Revocations | None = None,
    ) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self.permissions = permissions
        self.logins = logins
        self.codes = codes or KeyedHasher(db, CODE_KEY)
        self.revocations = revocations
        if revocations is not None:
            revocations.on_change(self.forget)
        self._cache: dict[tuple[str, str], tuple[Principal, float, int]] = {}
        self._flights: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def _cache_key(self, username: str, secret: str, code: str) -> tuple[str, str]:
        digest = hashlib.sha256(f"{secret}\x00{code}".encode()).hexdigest()
        return username.strip().lower(), digest

    def principal(
        self, username: str, secret: str, integration_code: str, client: str = ""
    ) -> Principal:
        if not (username and secret and integration_code):
            raise AuthenticationError(
                "Missing credentials: send the ApiIntegrationCode, UserName and Secret headers",
                reason="missing",
            )
        generation = self.generation()
        hit = self._cached(username, secret, integration_code, generation)
        if hit is not None:
            return hit
        key = self._cache_key(username, secret, integration_code)
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:  # one verification per credential at a time; the others wait for it
            with self._lock:
                hit_now = self._cache.get(key)
            if hit_now is not None and hit_now[1] > time.monotonic() and hit_now[2] == generation:
                return hit_now[0]
            try:
                found = self._limited_verify(username, secret, integration_code, client)
            finally:
                with self._lock:
                    self._flights.pop(key, None)
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                # tagged with the counter read *before* the credential row: a change
                # committed in between makes the entry stale at the next request
                self._cache[key] = (found, time.monotonic() + self.cache_seconds, generation)
        return found

    def generation(self) -> int:
        """The revocation counter now (0 without a ``Revocations``)."""
        return 0 if self.revocations is None else self.revocations.check()

    def forget(self) -> None:
        """Drop every verified credential (the revocation counter moved)."""
        with self._lock:
            self._cache.clear()

    def cached_principal(
        self, username: str, secret: str, integration_code: str
    ) -> Principal | None:
        """The caller verified within the cache time and under the current revocation
        counter (one one-row read, no argon2); just after it expires, still the cached
        answer while another request re-verifies it (so a busy integration never queues
        behind the argon2 check)."""
        if not (username and secret and integration_code):
            return None
        return self._cached(username, secret, integration_code, self.generation())

    def _cached(
        self, username: str, secret: str, integration_code: str, generation: int
    ) -> Principal | None:
        key = self._cache_key(username, secret, integration_code)
        with self._lock:
            hit = self._cache.get(key)
            refreshing = key in self._flights
        if hit is None:
            return None
        principal, expires, verified_at = hit
        if verified_at != generation:
            return None
        now = time.monotonic()
        if now < expires or (refreshing and now < expires + self.cache_seconds):
            return principal
        return None

    def _limited_verify(
        self, username: str, secret: str, integration_code: str, client: str
    ) -> Principal:
        """Verify, refused early while this user at this address, or this address, has to
        wait after failing (``LoginLimiter``)."""
        if self.logins is None:
            return self._verify(username, secret, integration_code)
        attempt = self.logins.begin(username, client)
        try:
            found = self._verify(username, secret, integration_code)
        except AuthenticationError:
            raise  # the attempt stays recorded as a failure
        except Exception:
            self.logins.cancel(attempt)  # our fault, not the caller's
            raise
        self.logins.succeeded(attempt)
        return found

    def _verify(self, username: str, secret: str, integration_code: str) -> Principal:
        """The same work and the same answer for an unknown user as for a wrong secret."""
        with self.db.read() as conn:
            row = credentials.find(conn, username)
        stored_hash = row.secret_hash if row is not None else _DUMMY_HASH
        try:
            HASHER.verify(stored_hash, secret)
            secret_ok = row is not None
        except (VerificationError, InvalidHashError):
            secret_ok = False
        stored_code = row.integration_code_hash if row is not None else ""
        code_ok = self.codes.matches(integration_code.strip(), stored_code)
        if row is None:
            raise AuthenticationError(BAD_CREDENTIALS, reason="unknown_user")
        if not secret_ok:
            raise AuthenticationError(BAD_CREDENTIALS, reason="bad_secret")
        if not code_ok:
            raise AuthenticationError(
                "Invalid ApiIntegrationCode for this API user", reason="bad_integration_code"
            )
        if not row.is_active:
            raise AuthenticationError("This API user's resource is inactive", reason="inactive")
        return Principal(int(row.resource_id), row.username, row.security_level or "full")

    def known_user(self, username: str) -> bool:
        if not username.strip():
            return False
        with self.db.read() as conn:
            return credentials.find(conn, username) is not None

    def cached_actor(self, username: str, secret: str, integration_code: str) -> Actor | None:
        """``actor`` when it needs no database work (cached, not impersonating), else None."""
        principal = self.cached_principal(username, secret, integration_code)
        return None if principal is None else _acting(principal, principal.resource_id)

    def actor(
        self,
        username: str,
        secret: str,
        integration_code: str,
        impersonate: str | None = None,
        client: str = "",
    ) -> Actor:
        principal = self.principal(username, secret, integration_code, client)
        target = principal.resource_id
        if impersonate not in (None, ""):
            target = self._impersonation_target(principal, str(impersonate))
        return _acting(principal, target)

    def _impersonation_target(self, principal: Principal, raw: str) -> int:
        try:
            target = int(raw.strip())
        except ValueError:
            raise AuthenticationError(
                f"ImpersonationResourceId {raw!r} is not a resource id", reason="bad_secret"
            ) from None
        if not self._may_impersonate(principal.security_level):
            raise PermissionDeniedError(
                "The logged in Resource does not have the adequate permissions to impersonate"
            )
        with self.db.read() as conn:
            resource = repository.get(conn, RESOURCE, target)
        if resource is None or not resource.get("isActive"):
            raise PermissionDeniedError(
                f"ImpersonationResourceId {target} is not an active resource"
            )
        return target

    def _may_impersonate(self, level: str) -> bool:
        if self.permissions is None:
            return level in IMPERSONATING_LEVELS
        return self.permissions.level(level).can_impersonate
