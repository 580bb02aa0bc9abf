"""Credentials: a failed-attempt limiter per user name with address and per address, with a
doubling wait (in the database, so shared), the same answer and cost for an unknown user as
for a bad secret, integration codes stored as keyed hashes, secrets never logged or
returned."""

from __future__ import annotations

import hashlib
import hmac
import logging
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from mspcrm.config import Settings
from mspcrm.errors import AuthenticationError, RateLimitedError
from mspcrm.services.auth import BAD_CREDENTIALS, Authenticator, hash_secret
from mspcrm.services.crm import build_services
from mspcrm.store.database import Database
from mspcrm.store.migrate import alembic_config, upgrade
from tests.conftest import API_CODE, API_SECRET, API_USER
from tests.reliability.conftest import App, FakeClock, size

BASE = "/ATServicesRest/V1.0"


def test_failures_per_user_and_address_wait_longer_each_time(make_app: Any) -> None:
    app: App = make_app(login_failure_limit=3, login_backoff_seconds=10)
    clock = FakeClock()
    app.services.auth.logins.clock = clock  # type: ignore[union-attr]
    bad = app.creds.headers | {"Secret": "wrong"}
    for i in range(3):  # the allowance
        assert app.client.get(f"{BASE}/Companies/0", headers=bad).status_code == 401, i
        clock.advance(1)
    waits = []
    for _ in range(3):
        blocked = app.client.get(f"{BASE}/Companies/0")  # the right secret too, from here
        assert blocked.status_code == 429
        assert "Too many failed sign-in attempts" in blocked.json()["errors"][0]
        waits.append(int(blocked.headers["Retry-After"]))
        clock.advance(waits[-1] - 0.5)
        assert app.client.get(f"{BASE}/Companies/0", headers=bad).status_code == 429
        clock.advance(0.5)
        assert app.client.get(f"{BASE}/Companies/0", headers=bad).status_code == 401
    assert waits == [9, 20, 40]  # 10 s after the third failure (1 s ago), then doubling
    auth = app.services.auth
    # another address: the same user's right secret is never refused
    assert auth.principal(API_USER, API_SECRET, API_CODE, client="198.51.100.1")
    clock.advance(80)
    assert app.client.get(f"{BASE}/Companies/0").status_code == 200
    # a success starts the user-and-address count again
    assert app.client.get(f"{BASE}/Companies/0", headers=bad).status_code == 401


def test_an_address_trying_many_users_waits_and_shared_between_instances(
    make_app: Any,
) -> None:
    first: App = make_app(login_address_failure_limit=5)
    second: App = make_app(login_address_failure_limit=5)
    clock = FakeClock()
    for app in (first, second):
        app.services.auth.logins.clock = clock  # type: ignore[union-attr]
    auth_a, auth_b = first.services.auth, second.services.auth
    for i in range(5):  # different user names from one address, through the first instance
        with pytest.raises(AuthenticationError):
            auth_a.principal(f"nobody{i}@x.example", "s", API_CODE, client="203.0.113.9")
    with pytest.raises(RateLimitedError) as refused:  # the second instance sees the same rows
        auth_b.principal(API_USER, API_SECRET, API_CODE, client="203.0.113.9")
    assert refused.value.retry_after == 1
    # the same user from another address still gets in
    assert auth_b.principal(API_USER, API_SECRET, API_CODE, client="198.51.100.1")


def test_unknown_user_and_wrong_secret_get_the_same_answer(make_app: Any) -> None:
    app: App = make_app()
    unknown = app.client.get(f"{BASE}/Companies/0", headers={"UserName": "nobody@x.example"})
    wrong = app.client.get(f"{BASE}/Companies/0", headers={"Secret": "wrong"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == {"errors": [BAD_CREDENTIALS]}
    assert set(unknown.headers.items()) == set(wrong.headers.items())


def test_integration_codes_are_stored_as_keyed_hashes(make_app: Any) -> None:
    app: App = make_app()
    with app.services.db.read() as conn:
        stored = conn.exec_driver_sql(
            "SELECT integration_code_hash FROM api_credentials"
        ).scalar_one()
        key = conn.exec_driver_sql(
            "SELECT secret FROM server_keys WHERE name = 'integration-codes'"
        ).scalar_one()
    assert API_CODE not in stored and API_CODE.lower() not in stored
    assert stored == hmac.new(bytes.fromhex(key), API_CODE.encode(), hashlib.sha256).hexdigest()
    assert app.client.get(f"{BASE}/Companies/0").status_code == 200
    wrong_code = app.client.get(f"{BASE}/Companies/0", headers={"ApiIntegrationCode": "X" * 27})
    assert wrong_code.status_code == 401
    fresh = app.services.admin.new_integration_code(API_USER)  # shown once, stored hashed
    assert app.client.get(f"{BASE}/Companies/0").status_code == 401
    renewed = app.client.get(
        f"{BASE}/Companies/0", headers={"ApiIntegrationCode": fresh.integration_code}
    )
    assert renewed.status_code == 200


def test_the_migration_hashes_plain_codes(db_url: str) -> None:
    """A database from before migration 0012 keeps working: its plain codes become hashes."""
    db = Database(db_url)
    try:
        with db.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0006")  # only 0012 depends on 0006
            conn.exec_driver_sql(
                "INSERT INTO resources (id, first_name, last_name, email, user_name, is_active,"
                " security_level) VALUES (77, 'Old', 'User', 'old@x.example', 'old@x.example',"
                " true, 'full')"
            )
            conn.execute(
                sa.text(
                    "INSERT INTO api_credentials (resource_id, username, username_key,"
                    " integration_code, secret_hash, created_at) VALUES (77, 'old@x.example',"
                    " 'old@x.example', 'PLAINCODE0001', :h, CURRENT_TIMESTAMP)"
                ),
                {"h": hash_secret("old-secret")},
            )
        upgrade(db)
        with db.read() as conn:
            stored = conn.exec_driver_sql(
                "SELECT integration_code_hash FROM api_credentials WHERE resource_id = 77"
            ).scalar_one()
        assert "PLAINCODE0001" not in stored and len(stored) == 64
        services = build_services(Settings(database_url=db_url))
        try:
            found = services.auth.principal("old@x.example", "old-secret", "PLAINCODE0001")
            assert found.resource_id == 77
        finally:
            services.close()
    finally:
        db.dispose()


def _cost(auth: Authenticator, username: str, i: int) -> float:
    start = time.perf_counter()
    with pytest.raises(AuthenticationError):
        auth.principal(username, f"wrong-{i}", API_CODE, client="10.0.0.1")
    return time.perf_counter() - start


def test_unknown_user_costs_the_same_as_a_bad_secret(make_app: Any) -> None:
    app: App = make_app(login_failure_limit=0, login_address_failure_limit=0)
    auth = app.services.auth
    unknown, bad_secret = [], []
    for i in range(size(30, 120)):  # alternated, so load on the machine hits both alike
        unknown.append(_cost(auth, "nobody@x.example", i))
        bad_secret.append(_cost(auth, API_USER, i))
    ratio = statistics.median(unknown) / statistics.median(bad_secret)
    print(f"\nunknown user / bad secret median cost ratio: {ratio:.2f}")
    assert 0.6 < ratio < 1.67, ratio  # both verify one argon2id hash


def test_secrets_are_never_logged_or_returned(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app: App = make_app()
    bodies = [
        app.client.get(f"{BASE}/Companies/0", headers=app.creds.headers | {"Secret": "wr0ng"}),
        app.client.get(f"{BASE}/Resources/query?search=" + '{"filter":[]}'),
        app.client.get(f"{BASE}/Resources/{app.creds.resource_id}"),
        app.client.get(f"{BASE}/Resources/entityInformation/fields"),
    ]
    text = " ".join(r.text for r in bodies) + caplog.text
    for secret in (API_SECRET, "wr0ng", "argon2"):
        assert secret not in text


def test_lease_rows_hold_no_integration_code(make_app: Any) -> None:
    first: App = make_app()
    make_app()  # a second server on the database: admissions write lease rows
    limits = first.services.limits
    admission = limits.admit(f"{API_CODE}:Company")
    with first.services.db.read() as conn:
        scopes = [r[0] for r in conn.exec_driver_sql("SELECT scope FROM request_slots")]
    limits.release(admission)
    assert admission.slot_id is not None
    assert any(s.startswith("h:") for s in scopes), scopes
    assert not any(API_CODE in s.upper() for s in scopes), scopes


def test_parallel_guesses_are_counted_exactly(make_app: Any) -> None:
    """Each attempt is recorded before its argon2 check, in one serialised transaction: a
    burst of parallel guesses gets exactly the allowance, not one per thread."""
    app: App = make_app(login_failure_limit=3, login_address_failure_limit=0)
    auth = app.services.auth
    auth.logins.clock = FakeClock()  # type: ignore[union-attr]  # a burst: no time passes

    def guess(i: int) -> str:
        try:
            auth.principal(API_USER, f"guess-{i}", API_CODE, client="192.0.2.7")
        except RateLimitedError:
            return "waits"
        except AuthenticationError:
            return "checked"
        return "in"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(guess, range(24)))
    assert outcomes.count("checked") == 3, outcomes
    assert outcomes.count("waits") == 21, outcomes
