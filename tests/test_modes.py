"""Every difference between the default mode and ``--compat autotask``, tested in both."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from tests.conftest import ApiCredentials

BASE = "/ATServicesRest/V1.0"
MakeClient = Callable[[str], tuple[TestClient, ApiCredentials]]


@pytest.fixture(params=["default", "autotask"])
def mode_client(request: pytest.FixtureRequest, make_client: MakeClient) -> tuple[str, TestClient]:
    client, _ = make_client(request.param)
    return request.param, client


def expect(mode: str, default: int, autotask: int) -> int:
    return default if mode == "default" else autotask


def test_missing_record(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    response = client.get(f"{BASE}/Companies/424242")
    assert response.status_code == expect(mode, 404, 200)
    if mode == "autotask":
        assert response.json() == {"item": None}
    else:
        assert response.json() == {"errors": ["Company not found"]}


def test_unknown_operator(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    body = {"filter": [{"op": "ne", "field": "companyType", "value": 1}]}
    response = client.post(f"{BASE}/Companies/query", json=body)
    assert response.status_code == expect(mode, 400, 200)
    if mode == "default":
        assert "'ne'" in response.json()["errors"][0]
    else:  # silently dropped: unfiltered data, as Autotask does
        assert response.json()["pageDetails"]["count"] == 1


def test_unknown_field_in_filter(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    body = {"filter": [{"op": "eq", "field": "nope", "value": 1}]}
    response = client.post(f"{BASE}/Companies/query", json=body)
    assert response.status_code == expect(mode, 400, 500)
    assert response.json() == {"errors": ["Unable to find nope in the Company Entity"]}


def test_unknown_property_in_a_write(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    body = {"companyName": "Unknown Prop Co", "companyType": 1, "favouriteColour": "blue"}
    response = client.post(f"{BASE}/Companies", json=body)
    assert response.status_code == expect(mode, 400, 200)
    if mode == "default":
        assert "favouriteColour" in response.json()["errors"][0]


def test_validation_error_status(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    response = client.post(f"{BASE}/Companies", json={"companyType": 1})
    assert response.status_code == expect(mode, 400, 500)
    assert response.json() == {"errors": ["CompanyName is required"]}


def test_duplicate_company_name(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    body = {"companyName": "Twin Co", "companyType": 1}
    assert client.post(f"{BASE}/Companies", json=body).status_code == 200
    assert client.post(f"{BASE}/Companies", json=body).status_code == expect(mode, 400, 200)


def test_duplicate_contact_email(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    body = {"companyID": 0, "firstName": "A", "lastName": "B", "emailAddress": "a@twin.example"}
    assert client.post(f"{BASE}/Contacts", json=body).status_code == 200
    assert client.post(f"{BASE}/Contacts", json=body).status_code == expect(mode, 409, 200)


def test_reference_not_found(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    body = {"companyID": 999999, "firstName": "A", "lastName": "B"}
    assert client.post(f"{BASE}/Contacts", json=body).status_code == expect(mode, 404, 500)


def test_method_not_allowed_body(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    response = client.delete(f"{BASE}/Companies/0")
    assert response.status_code == 405
    message = "The requested resource does not support http method 'DELETE'."
    if mode == "autotask":
        assert response.json() == {"Message": message}
    else:
        assert response.json() == {"errors": [message]}


def test_credential_failures(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    path = f"{BASE}/Companies/0"
    assert client.get(path, headers={"Secret": "wrong"}).status_code == 401
    assert client.get(path, headers={"UserName": "nobody@x.example"}).status_code == expect(
        mode, 401, 500
    )
    assert client.get(path, headers={"ApiIntegrationcode": "WRONG"}).status_code == expect(
        mode, 401, 500
    )


def test_zone_information_for_unknown_user(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    response = client.get(f"{BASE}/ZoneInformation?user=nobody@x.example")
    assert response.status_code == expect(mode, 200, 500)
    known = client.get(f"{BASE}/ZoneInformation?user=api-user@msp.example")
    assert known.status_code == 200


def test_max_records_error_status(mode_client: tuple[str, TestClient]) -> None:
    mode, client = mode_client
    response = client.post(f"{BASE}/Companies/query", json={"filter": [], "MaxRecords": 501})
    assert response.status_code == expect(mode, 400, 500)
    assert response.json() == {"errors": ["maxCountOfRecordsToReturn must be between 1 and 500"]}


def test_routes_real_autotask_lacks(mode_client: tuple[str, TestClient]) -> None:
    """Item-level PATCH/PUT and root DELETE of a child entity: accepted by default only."""
    mode, client = mode_client
    company = client.post(f"{BASE}/Companies", json={"companyName": "Routes Co", "companyType": 1})
    company_id = company.json()["itemId"]
    patched = client.patch(f"{BASE}/Companies/{company_id}", json={"phone": "1"})
    assert patched.status_code == expect(mode, 200, 405)
    contact = client.post(
        f"{BASE}/Contacts", json={"companyID": company_id, "firstName": "A", "lastName": "B"}
    ).json()["itemId"]
    child = client.patch(f"{BASE}/Companies/{company_id}/Contacts/{contact}", json={"title": "X"})
    assert child.status_code == expect(mode, 200, 405)
    root_delete = client.delete(f"{BASE}/Contacts/{contact}")
    assert root_delete.status_code == expect(mode, 200, 405)


def test_soap_era_active_alias(mode_client: tuple[str, TestClient]) -> None:
    _, client = mode_client
    body = {"companyName": "Active Alias Co", "companyType": 1, "Active": False}
    company_id = client.post(f"{BASE}/Companies", json=body).json()["itemId"]
    assert client.get(f"{BASE}/Companies/{company_id}").json()["item"]["isActive"] is False


def test_bare_version_prefix(mode_client: tuple[str, TestClient]) -> None:
    _, client = mode_client
    zone = client.get("/v1.0/zoneInformation?user=api-user@msp.example")
    assert zone.status_code == 200 and zone.json()["url"].endswith("/ATServicesRest/")
