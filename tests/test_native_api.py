"""The native extension API (/api/v1): merges and history over HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path

from starlette.testclient import TestClient

from mspcrm.api.app import create_app
from mspcrm.config import Settings

BASE = "/ATServicesRest/V1.0"


def company(client: TestClient, name: str, **extra: object) -> int:
    response = client.post(
        f"{BASE}/Companies", json={"companyName": name, "companyType": 1, **extra}
    )
    return int(response.json()["itemId"])


def test_merge_plan_do_undo_over_http(client: TestClient) -> None:
    keep = company(client, "Keep Co")
    other = company(client, "Other Co", phone="555-9")
    plan = client.post(
        "/api/v1/merges/plan", json={"entity": "Company", "keepID": keep, "otherID": other}
    )
    assert plan.status_code == 200, plan.text
    fingerprint = plan.json()["fingerprint"]
    dry = client.post(
        "/api/v1/merges",
        json={"entity": "Company", "keepID": keep, "otherID": other, "dryRun": True},
    ).json()
    assert dry["mergeID"] is None and dry["plan"]["fingerprint"] == fingerprint
    done = client.post(
        "/api/v1/merges",
        json={"entity": "Company", "keepID": keep, "otherID": other, "fingerprint": fingerprint},
    )
    assert done.status_code == 200, done.text
    merge_id = done.json()["mergeID"]
    assert client.get(f"{BASE}/Companies/{keep}").json()["item"]["phone"] == "555-9"
    assert client.get(f"/api/v1/merges/{merge_id}").json()["keepID"] == keep
    assert client.post(f"/api/v1/merges/{merge_id}/undo").json()["mergeID"] == merge_id
    assert client.get(f"{BASE}/Companies/{keep}").json()["item"]["phone"] is None
    again = client.post(f"/api/v1/merges/{merge_id}/undo")
    assert again.status_code == 409


def test_merge_errors_are_clear(client: TestClient) -> None:
    missing = client.post("/api/v1/merges/plan", json={"entity": "Company", "keepID": 1})
    assert missing.status_code == 400 and "otherID" in missing.json()["errors"][0]
    unknown = client.post(
        "/api/v1/merges/plan", json={"entity": "Widget", "keepID": 1, "otherID": 2}
    )
    assert unknown.status_code == 404
    assert client.get("/api/v1/merges/999").status_code == 404
    assert TestClient(client.app).post("/api/v1/merges/plan", json={}).status_code == 401


def test_history_of_a_record(client: TestClient) -> None:
    record = company(client, "History Co", city="A")
    client.patch(f"{BASE}/Companies", json={"id": record, "city": "B"})
    history = client.get(f"/api/v1/Companies/{record}/history").json()["history"]
    assert [h["op"] for h in history] == ["create", "update"]
    assert history[1]["changes"]["city"] == ["A", "B"]
    assert history[1]["channel"] == "api" and history[1]["resourceID"] is not None


def test_openapi_document_is_valid_and_generated(sqlite_template: Path, tmp_path: Path) -> None:
    """Generated from the declarations alone, so one engine is enough."""
    from openapi_spec_validator import validate

    shutil.copy(sqlite_template, tmp_path / "crm.db")
    app = create_app(Settings(database_url=str(tmp_path / "crm.db")))
    with TestClient(app) as plain:
        document = plain.get("/api/v1/openapi.json").json()
    validate(document)
    assert "/ATServicesRest/V1.0/Companies/query" in document["paths"]
    assert "/ATServicesRest/V1.0/Companies/{parentId}/Contacts" in document["paths"]
    assert "delete" not in document["paths"]["/ATServicesRest/V1.0/Companies/{id}"]
    assert "delete" in document["paths"]["/ATServicesRest/V1.0/Contacts/{id}"]
    company = document["components"]["schemas"]["Company"]["properties"]
    assert company["companyName"] == {"type": ["string", "null"], "maxLength": 100}


def test_context_header_is_kept_in_history(client: TestClient) -> None:
    headers = {"X-Mspcrm-Context": "agent claude for ann@msp.example"}
    record = client.post(
        f"{BASE}/Companies", json={"companyName": "Context Co", "companyType": 1}, headers=headers
    ).json()["itemId"]
    history = client.get(f"/api/v1/Companies/{record}/history").json()["history"]
    assert history[0]["context"] == "agent claude for ann@msp.example"


def test_local_target_context_is_kept_in_history(db_url: str) -> None:
    from mspcrm.targets import open_target

    with open_target(database=db_url, channel="mcp", context="agent bot for sam") as target:
        record = target.client.companies.create({"companyName": "Local Context", "companyType": 1})
        entry = target.client.native.history("Companies", record)["history"][0]
    assert (entry["channel"], entry["context"]) == ("mcp", "agent bot for sam")
