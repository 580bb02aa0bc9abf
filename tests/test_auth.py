"""Credentials, impersonation and the read-only security level, through the API."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from starlette.testclient import TestClient

from mspcrm.errors import AuthenticationError
from mspcrm.services.auth import Authenticator, Principal
from mspcrm.services.crm import Services
from tests.conftest import API_CODE, add_api_user, free_port

BASE = "/ATServicesRest/V1.0"


def test_secret_is_stored_as_argon2id_hash(services: Services, client: TestClient) -> None:
    with services.db.read() as conn:
        stored = conn.exec_driver_sql("SELECT secret_hash FROM api_credentials").scalar()
    assert stored.startswith("$argon2id$") and "horse" not in stored


def test_impersonation_attributes_the_write(services: Services, client: TestClient) -> None:
    staff, _ = services.admin.create_resource("Sam", "Sales", "sam@msp.example")
    headers = {"ImpersonationResourceId": str(staff)}
    company = client.post(
        f"{BASE}/Companies", json={"companyName": "Imp Co", "companyType": 1}, headers=headers
    ).json()["itemId"]
    item = client.get(f"{BASE}/Companies/{company}").json()["item"]
    api_user = client.post(
        f"{BASE}/Resources/query",
        json={"filter": [{"op": "eq", "field": "userName", "value": "api-user@msp.example"}]},
    ).json()["items"][0]["id"]
    assert item["createdByResourceID"] == staff
    assert item["ownerResourceID"] == staff
    assert item["impersonatorCreatorResourceID"] == api_user


def test_impersonating_an_unknown_resource_is_refused(client: TestClient) -> None:
    response = client.get(f"{BASE}/Companies/0", headers={"ImpersonationResourceId": "424242"})
    assert response.status_code == 403
    bad = client.get(f"{BASE}/Companies/0", headers={"ImpersonationResourceId": "abc"})
    assert bad.status_code == 401


def test_read_only_api_user_can_read_but_not_write(services: Services, client: TestClient) -> None:
    reader = add_api_user(services, username="reader@msp.example", security_level="read-only")
    plain = TestClient(client.app)
    assert plain.get(f"{BASE}/Companies/0", headers=reader.headers).status_code == 200
    refused = plain.post(
        f"{BASE}/Companies", json={"companyName": "No", "companyType": 1}, headers=reader.headers
    )
    assert refused.status_code == 403
    assert "adequate permissions to create" in refused.json()["errors"][0]
    info = plain.get(f"{BASE}/Companies/entityInformation", headers=reader.headers).json()["info"]
    assert (info["userAccessForCreate"], info["userAccessForQuery"]) == (0, 1)


def test_inactive_resource_cannot_call(services: Services, client: TestClient) -> None:
    user = add_api_user(services, username="leaver@msp.example")
    with services.db.write() as conn:
        conn.exec_driver_sql(
            f"UPDATE resources SET is_active = false WHERE id = {user.resource_id}"
        )
    response = TestClient(client.app).get(f"{BASE}/Companies/0", headers=user.headers)
    assert response.status_code == 401


def test_serve_demo_prints_working_credentials(db_url: str) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mspcrm",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--database",
            db_url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        assert process.stdout is not None
        while not any("mspcrm 0" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        text = "".join(lines)
        found = {
            k: re.search(rf"{k}:\s+(\S+)", text)
            for k in ("UserName", "Secret", "ApiIntegrationCode")
        }
        headers = {k: m.group(1) for k, m in found.items() if m}
        assert len(headers) == 3, text
        url = f"http://127.0.0.1:{port}{BASE}/Companies/query/count"
        for _ in range(100):
            try:
                count = httpx.get(url, headers=headers).json()
                break
            except httpx.TransportError:
                import time

                time.sleep(0.1)
        assert count["queryCount"] >= 6
        assert headers["ApiIntegrationCode"] != API_CODE
    finally:
        process.terminate()
        process.wait(timeout=10)


class CountingAuthenticator(Authenticator):
    """The real authenticator, counting its argon2 verifications."""

    def __init__(self, services: Services) -> None:
        super().__init__(services.db, cache_seconds=2.0)
        self.verifications = 0

    def _verify(self, username: str, secret: str, integration_code: str) -> Principal:
        self.verifications += 1
        return super()._verify(username, secret, integration_code)


def test_concurrent_first_requests_verify_the_secret_once(services: Services) -> None:
    """Thirty-two requests arriving together with a cold cache share one argon2 check; once
    the cached answer expires, one request re-verifies while the others keep being served."""
    creds = add_api_user(services, "herd@example.com", "herd-secret")
    auth = CountingAuthenticator(services)
    args = ("herd@example.com", "herd-secret", API_CODE)
    with ThreadPoolExecutor(max_workers=32) as pool:
        found = list(pool.map(lambda _: auth.principal(*args), range(32)))
    assert {p.resource_id for p in found} == {creds.resource_id}
    assert auth.verifications == 1
    time.sleep(2.1)  # expired: the next caller re-verifies, alone
    assert auth.cached_principal(*args) is None
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: auth.principal(*args), range(8)))
    assert auth.verifications == 2
    with pytest.raises(AuthenticationError):
        auth.principal("herd@example.com", "wrong-secret", API_CODE)
    assert auth.cached_principal("herd@example.com", "wrong-secret", API_CODE) is None
