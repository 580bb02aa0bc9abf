"""Credentials: a failed-attempt limiter per username and per address (in the database, so
shared), the same cost for an unknown user as for a bad secret, secrets never logged or
returned."""

from __future__ import annotations

import logging
import statistics
import time
from typing import Any

import pytest

from mspcrm.errors import AuthenticationError, RateLimitedError
from mspcrm.services.auth import Authenticator
from tests.conftest import API_CODE, API_SECRET, API_USER
from tests.reliability.conftest import App, FakeClock, size

BASE = "/ATServicesRest/V1.0"


def test_ten_failures_then_429_with_retry_after(make_app: Any) -> None:
    app: App = make_app()
    clock = FakeClock()
    app.services.auth.logins.clock = clock  # type: ignore[union-attr]
    bad = app.creds.headers | {"Secret": "wrong"}
    for i in range(10):
        assert app.client.get(f"{BASE}/Companies/0", headers=bad).status_code == 401, i
        clock.advance(10)
    blocked = app.client.get(f"{BASE}/Companies/0")  # even the right secret now
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "200"  # when the first failure is 300 s old
    assert "Too many failed sign-in attempts" in blocked.json()["errors"][0]
    clock.advance(199)
    assert app.client.get(f"{BASE}/Companies/0").status_code == 429
    clock.advance(1)
    assert app.client.get(f"{BASE}/Companies/0").status_code in (200, 404)


def test_limits_per_address_and_shared_between_instances(make_app: Any) -> None:
    first: App = make_app()
    second: App = make_app()
    clock = FakeClock()
    for app in (first, second):
        app.services.auth.logins.clock = clock  # type: ignore[union-attr]
    auth_a, auth_b = first.services.auth, second.services.auth
    for i in range(10):  # different usernames from one address, through the first instance
        with pytest.raises(AuthenticationError):
            auth_a.principal(f"nobody{i}@x.example", "s", API_CODE, client="203.0.113.9")
    with pytest.raises(RateLimitedError):  # the second instance sees the same rows
        auth_b.principal(API_USER, API_SECRET, API_CODE, client="203.0.113.9")
    # the same user from another address still gets in
    assert auth_b.principal(API_USER, API_SECRET, API_CODE, client="198.51.100.1")


def _cost(auth: Authenticator, username: str, i: int) -> float:
    start = time.perf_counter()
    with pytest.raises(AuthenticationError):
        auth.principal(username, f"wrong-{i}", API_CODE, client="10.0.0.1")
    return time.perf_counter() - start


def test_unknown_user_costs_the_same_as_a_bad_secret(make_app: Any) -> None:
    app: App = make_app(login_failure_limit=0)
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
