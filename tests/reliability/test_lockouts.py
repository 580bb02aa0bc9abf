"""Failed sign-ins slow the one who fails, never anyone else: real server processes on
loopback, clients bound to 127.0.0.2, 127.0.0.3, ... (both engines)."""

from __future__ import annotations

import time

import httpx

from mspcrm.config import Settings
from mspcrm.services.crm import build_services
from tests.conftest import API_CODE, API_SECRET, API_USER, add_api_user
from tests.reliability.servers import client_from, serving

PATH = "/ATServicesRest/V1.0/Companies/0"
GOOD = {"ApiIntegrationCode": API_CODE, "UserName": API_USER, "Secret": API_SECRET}
BAD = GOOD | {"Secret": "guess"}
LIMITS = {
    "login_failure_limit": "3",  # per user + address
    "login_address_failure_limit": "8",  # per address
    "login_backoff_seconds": "1",
    "login_backoff_max_seconds": "4",
}


SECOND = GOOD | {"UserName": "second@msp.example"}


def _with_user(db_url: str) -> None:
    services = build_services(Settings(database_url=db_url))
    try:
        add_api_user(services)
        add_api_user(services, SECOND["UserName"])
    finally:
        services.close()


def _retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    return int(response.headers["Retry-After"])


def test_the_attacker_waits_longer_each_time_and_nobody_else_waits(db_url: str) -> None:
    _with_user(db_url)
    with (
        serving(db_url, **LIMITS) as server,
        client_from("127.0.0.2", server.url) as attacker,
        client_from("127.0.0.3", server.url) as user,
        client_from("127.0.0.4", server.url) as sprayer,
    ):
        for _ in range(3):  # the allowance: answered, each a 401
            assert attacker.get(PATH, headers=BAD).status_code == 401
        waits = [_retry_after(attacker.get(PATH, headers=BAD))]
        # the right secret from another address is never refused
        assert user.get(PATH, headers=GOOD).status_code == 200
        # a secret verified once is served from the cache, from any address (a cache hit
        # proves the secret: nothing is guessed there)
        assert attacker.get(PATH, headers=GOOD).status_code == 200
        started = time.monotonic()
        for _ in range(3):  # each wait served, one more guess, a longer wait
            time.sleep(waits[-1])
            assert attacker.get(PATH, headers=BAD).status_code == 401
            waits.append(_retry_after(attacker.get(PATH, headers=BAD)))
        elapsed = time.monotonic() - started
        assert waits == [1, 2, 4, 4], waits  # doubling, up to the longest wait
        print(
            f"\nattacker: 3 free guesses, then waits {waits} s; 3 more guesses took {elapsed:.1f} s"
        )
        # one address trying many users: its own allowance, then it waits for every user
        for i in range(8):
            bad_user = BAD | {"UserName": f"nobody{i}@x.example"}
            assert sprayer.get(PATH, headers=bad_user).status_code == 401, i
        # (a secret not verified before: a cached one is served from any address)
        assert _retry_after(sprayer.get(PATH, headers=SECOND)) >= 1
        assert user.get(PATH, headers=SECOND).status_code == 200  # elsewhere: unaffected


def test_waits_survive_a_restart(db_url: str) -> None:
    _with_user(db_url)
    slow = LIMITS | {"login_backoff_seconds": "120", "login_backoff_max_seconds": "600"}
    with serving(db_url, **slow) as server, client_from("127.0.0.2", server.url) as attacker:
        for _ in range(3):
            assert attacker.get(PATH, headers=BAD).status_code == 401
        before = _retry_after(attacker.get(PATH, headers=BAD))
    with serving(db_url, **slow) as server:
        with client_from("127.0.0.2", server.url) as attacker:
            after = _retry_after(attacker.get(PATH, headers=BAD))
        with client_from("127.0.0.3", server.url) as user:
            assert user.get(PATH, headers=GOOD).status_code == 200
    assert 0 < after <= before <= 120


def test_forwarded_for_is_believed_only_from_listed_proxies(db_url: str) -> None:
    _with_user(db_url)

    def spoofed(i: int) -> dict[str, str]:
        return BAD | {"X-Forwarded-For": f"198.51.100.{i}"}

    with serving(db_url, **LIMITS) as server, client_from("127.0.0.5", server.url) as client:
        # by default nobody is trusted (not even loopback): a made-up address changes nothing
        for i in range(3):
            assert client.get(PATH, headers=spoofed(i)).status_code == 401
        assert client.get(PATH, headers=spoofed(9)).status_code == 429
    options = ("--forwarded-allow-ips", "127.0.0.6")
    with (
        serving(db_url, *options, **LIMITS) as server,
        client_from("127.0.0.6", server.url) as proxy,
        client_from("127.0.0.7", server.url) as stranger,
    ):
        # the listed proxy's forwarded addresses are the clients the limiter counts
        for i in range(10, 16):
            assert proxy.get(PATH, headers=spoofed(i)).status_code == 401, i
        # anyone else's header is ignored: its own address is counted
        for i in range(20, 23):
            assert stranger.get(PATH, headers=spoofed(i)).status_code == 401
        assert stranger.get(PATH, headers=spoofed(30)).status_code == 429
