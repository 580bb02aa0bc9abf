"""Verify-before-create through the database and the native API, on both engines."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from mspcrm.services.crm import Services

BASE = "/ATServicesRest/V1.0"


def company(client: TestClient, name: str, **extra: Any) -> int:
    response = client.post(
        f"{BASE}/Companies", json={"companyName": name, "companyType": 1, **extra}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["itemId"])


def test_check_finds_scored_explained_candidates(client: TestClient) -> None:
    acme = company(client, "Acme Inc.", webAddress="https://www.acme.example", phone="555-123-4567")
    company(client, "Springfield Dental")
    answer = client.post(
        "/api/v1/Companies/duplicates/check",
        json={"companyName": "ACME, Incorporated", "phone": "(555) 123 4567"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verdict"] == "matched"
    best = body["matches"][0]
    assert best["id"] == acme and best["name"] == "Acme Inc." and best["verdict"] == "matched"
    signals = {e["signal"] for e in best["evidence"]}
    assert {"name_exact_key", "phone"} <= signals


def test_check_unmatched_and_updates_follow(client: TestClient) -> None:
    record = company(client, "Initech")
    body = {"companyName": "Globex Health"}
    assert (
        client.post("/api/v1/Companies/duplicates/check", json=body).json()["verdict"]
        == "unmatched"
    )
    client.patch(f"{BASE}/Companies", json={"id": record, "companyName": "Globex Health Partners"})
    after = client.post("/api/v1/Companies/duplicates/check", json=body).json()
    assert after["verdict"] in ("matched", "ambiguous")
    assert after["matches"][0]["id"] == record


def test_contact_check_by_email_plus_tag(client: TestClient) -> None:
    acme = company(client, "Acme Contacts Inc")
    contact = client.post(
        f"{BASE}/Contacts",
        json={
            "companyID": acme,
            "firstName": "John",
            "lastName": "Smith",
            "emailAddress": "john.smith@acme.example",
        },
    ).json()["itemId"]
    answer = client.post(
        "/api/v1/Contacts/duplicates/check",
        json={
            "companyID": acme,
            "firstName": "Jon",
            "lastName": "Smith",
            "emailAddress": "John.Smith+crm@ACME.example",
        },
    ).json()
    assert answer["verdict"] == "matched" and answer["matches"][0]["id"] == contact
    assert answer["matches"][0]["name"] == "John Smith"


def test_scan_clusters_near_duplicates(client: TestClient, services: Services) -> None:
    first = company(client, "Globex Corporation", webAddress="globex.example")
    second = company(client, "Globex Corp", webAddress="https://globex.example/about")
    company(client, "Umbrella Supplies")
    scan = client.post("/api/v1/Companies/duplicates/scan", json={}).json()
    assert [c["ids"] for c in scan["clusters"]] == [[first, second]]
    assert scan["clusters"][0]["names"][str(first)] == "Globex Corporation"


def test_check_of_an_entity_without_a_profile(client: TestClient) -> None:
    answer = client.post("/api/v1/Opportunities/duplicates/check", json={"title": "x"})
    assert answer.status_code == 400 and "duplicate checks exist for" in answer.json()["errors"][0]


def test_keys_backfilled_for_a_database_without_them(
    services: Services, client: TestClient
) -> None:
    record = company(client, "Backfill Ltd")
    with services.db.write() as conn:
        conn.exec_driver_sql("DELETE FROM match_keys")
    services.duplicates.ensure_indexed()
    found = services.duplicates.report("Company", {"companyName": "Backfill Limited"})
    assert found["matches"][0]["id"] == record


def test_check_limit_must_be_a_small_integer(client: TestClient) -> None:
    for limit in ("abc", "0", "101", "-1"):
        answer = client.post(f"/api/v1/Companies/duplicates/check?limit={limit}", json={})
        assert answer.status_code == 400 and "limit" in answer.json()["errors"][0], limit
    assert client.post("/api/v1/Companies/duplicates/check?limit=3", json={}).status_code == 200
