"""The first steps a user takes, through the real HTTP interface."""

from __future__ import annotations

import httpx
from starlette.testclient import TestClient

from tests.conftest import LiveServer


def test_create_then_get_company(client: TestClient) -> None:
    created = client.post(
        "/ATServicesRest/V1.0/Companies", json={"companyName": "Acme", "companyType": 1}
    )
    assert created.status_code == 200, created.text
    company_id = created.json()["itemId"]
    item = client.get(f"/ATServicesRest/V1.0/Companies/{company_id}").json()["item"]
    assert item["companyName"] == "Acme"
    assert item["companyType"] == 1


def test_live_server_answers(live_server: LiveServer) -> None:
    version = httpx.get(f"{live_server.url}/ATServicesRest/VersionInformation")
    assert version.json() == {"apiVersions": ["V1.0"]}
    count = httpx.get(
        f"{live_server.url}/ATServicesRest/V1.0/Companies/query/count", headers=live_server.headers
    )
    assert count.json() == {"queryCount": 1}
