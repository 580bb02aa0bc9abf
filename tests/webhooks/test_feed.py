"""The event feed: GET /api/v1/events?after=N, long-polled, same payloads as callouts."""

from __future__ import annotations

import threading
import time

from starlette.testclient import TestClient

from mspcrm.services.crm import Services
from tests.webhooks.conftest import ACTOR

ROOT = "/ATServicesRest/V1.0"


def test_the_feed_reports_every_change_in_order(client: TestClient, services: Services) -> None:
    start = client.get("/api/v1/events", params={"wait": 0}).json()["next"]
    body = {"companyName": "Feed & Co", "companyType": 1}
    company = client.post(f"{ROOT}/Companies", json=body).json()["itemId"]
    client.patch(f"{ROOT}/Companies", json={"id": company, "phone": "555"})
    page = client.get("/api/v1/events", params={"after": start, "wait": 0}).json()
    mine = [e for e in page["events"] if e["EntityType"] == "Company" and e["Id"] == company]
    assert [e["Action"] for e in mine] == ["Create", "Update"]
    assert mine[0]["Fields"]["companyName"] == "Feed & Co" and mine[1]["Fields"] == {
        "phone": "555", "lastActivityDate": mine[1]["Fields"]["lastActivityDate"],
        "lastTrackedModifiedDateTime": mine[1]["Fields"]["lastTrackedModifiedDateTime"],
    }  # fmt: skip
    numbers = [e["SequenceNumber"] for e in page["events"]]
    assert numbers == sorted(numbers) and page["next"] == numbers[-1]
    assert set(mine[0]) == {"Action", "Guid", "EntityType", "Id", "Fields", "EventTime",
                            "SequenceNumber", "PersonID"}  # fmt: skip
    empty = client.get("/api/v1/events", params={"after": page["next"], "wait": 0}).json()
    assert empty["events"] == [] and empty["next"] == page["next"]


def test_a_long_poll_returns_when_something_happens(client: TestClient, services: Services) -> None:
    after = client.get("/api/v1/events", params={"wait": 0}).json()["next"]
    company = services.registry.by_name("Company")

    def write_later() -> None:
        time.sleep(0.5)
        services.records.create(company, {"companyName": "Later", "companyType": 1}, ACTOR)

    threading.Thread(target=write_later).start()
    began = time.monotonic()
    page = client.get("/api/v1/events", params={"after": after, "wait": 10}).json()
    assert 0.3 < time.monotonic() - began < 5
    assert any(e["Fields"].get("companyName") == "Later" for e in page["events"])


def test_bad_parameters_and_no_credentials(client: TestClient) -> None:
    refused = client.get("/api/v1/events", params={"after": "x"})
    assert refused.status_code == 400 and "after" in refused.text
    refused = client.get("/api/v1/events", params={"wait": 999})
    assert refused.status_code == 400 and "wait" in refused.text
    client.headers.clear()
    assert client.get("/api/v1/events", params={"wait": 0}).status_code == 401
