"""Sign-in for the web pages: resource passwords (argon2id) and server-side sessions.

A session's id lives only in the browser's cookie; the database keeps its SHA-256, so a
copy of the database cannot be replayed as a cookie. Every sign-in makes a new id (no
fixation) and drops the one the browser came with. Failed sign-ins count against the
same limiter as the API's (per username and per address).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2.exceptions import InvalidHashError, VerificationError

from mspcrm.domain.fields import utc_now
from mspcrm.errors import AuthenticationError, NotFoundError, ValidationError
from mspcrm.services.auth import _DUMMY_HASH, HASHER
from mspcrm.services.context import Actor
from mspcrm.services.limits import LoginLimiter
from mspcrm.store import web_accounts
from mspcrm.store.database import Database

MIN_PASSWORD = 10
MAX_PASSWORD = 200
SIGN_IN_FAILED = "The username or password is not right"


@dataclass(frozen=True)
class WebSession:
    """Who a browser is signed in as, and the token its forms must send back."""

    resource_id: int
    security_level: str
    csrf_token: str
    display_name: str

    def actor(self) -> Actor:
        return Actor(
            resource_id=self.resource_id, channel="web", security_level=self.security_level
        )


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"password must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValidationError(f"password must be at most {MAX_PASSWORD} characters")


class WebAccounts:
    def __init__(
        self, db: Database, logins: LoginLimiter | None, *, lifetime_hours: float = 12.0
    ) -> None:
        self.db = db
        self.logins = logins
        self.lifetime = timedelta(hours=lifetime_hours)

    def set_password(self, username: str, password: str) -> int:
        """Give the resource signing in as ``username`` this web password; its id."""
        check_password(password)
        with self.db.write() as conn:
            row = web_accounts.find_account(conn, username)
            if row is None:
                raise NotFoundError(f"No resource with the username or e-mail {username!r}")
            web_accounts.save_password(conn, int(row.id), HASHER.hash(password))
        return int(row.id)

    def sign_in(
        self, username: str, password: str, *, client: str = "", previous: str = ""
    ) -> tuple[str, WebSession]:
        """A new session id and its session; the ``previous`` session (if any) ends."""
        attempt = self.logins.begin(username, client) if self.logins else None
        try:
            resource_id = self._verify(username, password)
        except AuthenticationError:
            raise  # the attempt stays recorded as a failure
        except Exception:
            if self.logins:
                self.logins.cancel(attempt)  # our fault, not the caller's
            raise
        if self.logins:
            self.logins.succeeded(attempt)
        token = secrets.token_urlsafe(32)
        with self.db.write() as conn:
            if previous:
                web_accounts.delete_session(conn, session_hash(previous))
            web_accounts.delete_expired(conn, utc_now())
            web_accounts.add_session(
                conn,
                session_hash(token),
                resource_id,
                secrets.token_urlsafe(32),
                utc_now() + self.lifetime,
            )
        found = self.session(token)
        assert found is not None
        return token, found

    def _verify(self, username: str, password: str) -> int:
        with self.db.read() as conn:
            row = web_accounts.find_account(conn, username) if username.strip() else None
        stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
        try:
            ok = HASHER.verify(stored, password) and stored is not _DUMMY_HASH
        except (VerificationError, InvalidHashError):
            ok = False
        if row is None or not ok or not row.is_active:
            raise AuthenticationError(SIGN_IN_FAILED, reason="bad_secret")
        return int(row.id)

    def session(self, token: str) -> WebSession | None:
        """The live session for a cookie's value, or None."""
        if not token or len(token) > 100:
            return None
        with self.db.read() as conn:
            row = web_accounts.find_session(conn, session_hash(token), utc_now())
        if row is None or not row.is_active:
            return None
        name = f"{row.first_name or ''} {row.last_name or ''}".strip()
        return WebSession(int(row.resource_id), row.security_level or "full", row.csrf_token, name)

    def sign_out(self, token: str) -> None:
        with self.db.write() as conn:
            web_accounts.delete_session(conn, session_hash(token))
