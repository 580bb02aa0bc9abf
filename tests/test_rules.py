"""Business rules of the CRM, through the API, on both engines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

BASE = "/ATServicesRest/V1.0"

SEED_COMPANY = {
    "companyName": "Acme Corporation",
    "companyType": 1,
    "phone": "555-123-4567",
    "address1": "123 Main Street",
    "city": "Springfield",
    "state": "IL",
    "postalCode": "62701",
    "country": "United States",
    "webAddress": "https://acme.example.com",
}


def post(client: TestClient, path: str, body: dict[str, Any]) -> int:
    response = client.post(f"{BASE}/{path}", json=body)
    assert response.status_code == 200, response.text
    return int(response.json()["itemId"])


def get(client: TestClient, path: str, record_id: int) -> dict[str, Any]:
    item: dict[str, Any] = client.get(f"{BASE}/{path}/{record_id}").json()["item"]
    return item


def company(client: TestClient, name: str, **extra: Any) -> int:
    return post(client, "Companies", {"companyName": name, "companyType": 1, **extra})


def test_seed_company_example_as_written(client: TestClient) -> None:
    owner = client.post(f"{BASE}/Resources/query", json={"filter": []}).json()["items"][0]["id"]
    company_id = post(client, "Companies", {**SEED_COMPANY, "ownerResourceID": owner})
    item = get(client, "Companies", company_id)
    assert item["countryID"] == 840  # "United States" resolved to the ISO id
    assert item["ownerResourceID"] == owner
    locations = client.get(f"{BASE}/Companies/{company_id}/Locations").json()["items"]
    assert len(locations) == 1
    primary = locations[0]
    assert primary["isPrimary"] is True
    assert (primary["address1"], primary["city"], primary["postalCode"], primary["countryID"]) == (
        "123 Main Street",
        "Springfield",
        "62701",
        840,
    )


def test_seed_contact_and_site_examples_as_written(client: TestClient) -> None:
    company_id = company(client, "Seed Contacts Co")
    contact = post(
        client,
        "Contacts",
        {
            "companyID": company_id,
            "firstName": "John",
            "lastName": "Smith",
            "emailAddress": "john.smith@acme.example.com",
            "phone": "555-123-4567",
            "mobilePhone": "555-987-6543",
            "title": "IT Director",
            "isActive": 1,
            "isPrimaryContact": True,
        },
    )
    assert get(client, "Contacts", contact)["primaryContact"] is True
    site = post(
        client,
        "CompanyLocations",
        {
            "companyID": company_id,
            "name": "Main Office",
            "address1": "123 Main Street",
            "city": "Springfield",
            "state": "IL",
            "postalCode": "62701",
            "country": "United States",
            "isPrimaryLocation": True,
            "isActive": 1,
        },
    )
    assert get(client, "CompanyLocations", site)["isPrimary"] is True


@pytest.mark.parametrize(
    "country, expected",
    [("US", 840), ("usa", 840), ("Germany", 276), ("GB", 826), ("UK", 826), ("DEU", 276)],
)
def test_country_by_name_or_iso_code(client: TestClient, country: str, expected: int) -> None:
    company_id = company(client, f"Country {country}", country=country)
    assert get(client, "Companies", company_id)["countryID"] == expected


def test_unknown_country_is_a_clear_400(client: TestClient) -> None:
    response = client.post(
        f"{BASE}/Companies", json={"companyName": "X", "companyType": 1, "country": "Atlantis"}
    )
    assert response.status_code == 400
    assert "Atlantis" in response.json()["errors"][0]


def test_company_validation_messages(client: TestClient) -> None:
    missing = client.post(f"{BASE}/Companies", json={"companyType": 1})
    assert missing.status_code == 400
    assert missing.json()["errors"] == ["CompanyName is required"]
    blank = client.post(f"{BASE}/Companies", json={"companyName": "   ", "companyType": 1})
    assert blank.json()["errors"] == ["CompanyName is required"]
    bad_type = client.post(f"{BASE}/Companies", json={"companyName": "T", "companyType": 99})
    assert bad_type.status_code == 400
    assert bad_type.json()["errors"][0].startswith("Invalid companyType")
    too_long = client.post(f"{BASE}/Companies", json={"companyName": "x" * 101, "companyType": 1})
    assert "companyName" in too_long.json()["errors"][0]


def test_duplicate_company_name_case_and_whitespace_insensitive(client: TestClient) -> None:
    company(client, "Globex Corporation")
    for name in ("globex corporation", "  Globex   Corporation ", "GLOBEX CORPORATION"):
        response = client.post(f"{BASE}/Companies", json={"companyName": name, "companyType": 1})
        assert response.status_code == 400, name
        assert response.json()["errors"][0].startswith("Duplicate company name")


def test_renaming_onto_another_name_is_a_duplicate(client: TestClient) -> None:
    company(client, "Name One")
    second = company(client, "Name Two")
    clash = client.patch(f"{BASE}/Companies", json={"id": second, "companyName": "name one"})
    assert clash.status_code == 400
    same = client.patch(f"{BASE}/Companies", json={"id": second, "companyName": "Name Two"})
    assert same.status_code == 200


def test_contact_requires_company_and_names(client: TestClient) -> None:
    missing = client.post(f"{BASE}/Contacts", json={"firstName": "A"})
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"CompanyID is required", "LastName is required"}
    nowhere = client.post(
        f"{BASE}/Contacts", json={"companyID": 424242, "firstName": "A", "lastName": "B"}
    )
    assert nowhere.status_code == 404
    assert nowhere.json()["errors"][0].startswith("Company not found")


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@b.com", "a b@c.com"])
def test_invalid_email_format(client: TestClient, email: str) -> None:
    company_id = company(client, "Email Co")
    response = client.post(
        f"{BASE}/Contacts",
        json={"companyID": company_id, "firstName": "A", "lastName": "B", "emailAddress": email},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("Invalid email format")


def test_same_email_at_same_company_is_409(client: TestClient) -> None:
    first = company(client, "Dup Email Co")
    other = company(client, "Other Email Co")
    body = {"companyID": first, "firstName": "J", "lastName": "S", "emailAddress": "j@dup.example"}
    post(client, "Contacts", body)
    again = client.post(f"{BASE}/Contacts", json={**body, "emailAddress": "J@DUP.example"})
    assert again.status_code == 409
    assert again.json()["errors"][:1] == ["Contact already exists"]
    assert again.json()["errors"][1].startswith("Email already exists")
    post(client, "Contacts", {**body, "companyID": other})  # another company may have it


def test_one_primary_contact_per_company(client: TestClient) -> None:
    company_id = company(client, "Primary Contact Co")
    first = post(
        client,
        "Contacts",
        {"companyID": company_id, "firstName": "A", "lastName": "One", "primaryContact": True},
    )
    second = post(
        client,
        "Contacts",
        {"companyID": company_id, "firstName": "B", "lastName": "Two", "isPrimaryContact": True},
    )
    assert get(client, "Contacts", first)["primaryContact"] is False
    assert get(client, "Contacts", second)["primaryContact"] is True
    client.patch(f"{BASE}/Contacts", json={"id": first, "primaryContact": True})
    assert get(client, "Contacts", second)["primaryContact"] is False


def test_one_primary_location_per_company(client: TestClient) -> None:
    company_id = company(client, "Primary Site Co")
    original = client.get(f"{BASE}/Companies/{company_id}/Locations").json()["items"][0]["id"]
    branch = post(
        client, f"Companies/{company_id}/Locations", {"name": "Branch", "isPrimary": True}
    )
    assert get(client, "CompanyLocations", original)["isPrimary"] is False
    assert get(client, "CompanyLocations", branch)["isPrimary"] is True
    refused = client.patch(f"{BASE}/CompanyLocations", json={"id": branch, "isPrimary": False})
    assert refused.status_code == 409
    assert client.delete(f"{BASE}/Companies/{company_id}/Locations/{branch}").status_code == 409
    assert client.delete(f"{BASE}/Companies/{company_id}/Locations/{original}").status_code == 200


def test_company_address_follows_to_primary_location(client: TestClient) -> None:
    company_id = company(client, "Moving Co", city="Old Town")
    client.patch(
        f"{BASE}/Companies", json={"id": company_id, "city": "New Town", "address1": "2 Road"}
    )
    site = client.get(f"{BASE}/Companies/{company_id}/Locations").json()["items"][0]
    assert (site["city"], site["address1"]) == ("New Town", "2 Road")


def test_hierarchy_refuses_cycles(client: TestClient) -> None:
    top = company(client, "Top Co")
    middle = company(client, "Middle Co", parentCompanyID=top)
    bottom = company(client, "Bottom Co", parentCompanyID=middle)
    cycle = client.patch(f"{BASE}/Companies", json={"id": top, "parentCompanyID": bottom})
    assert cycle.status_code == 400
    assert "cycle" in cycle.json()["errors"][0]
    itself = client.patch(f"{BASE}/Companies", json={"id": top, "parentCompanyID": top})
    assert itself.status_code == 400
    missing = client.patch(f"{BASE}/Companies", json={"id": top, "parentCompanyID": 999999})
    assert missing.status_code == 404


def test_contact_location_must_belong_to_its_company(client: TestClient) -> None:
    first = company(client, "Loc A")
    second = company(client, "Loc B")
    site_b = client.get(f"{BASE}/Companies/{second}/Locations").json()["items"][0]["id"]
    response = client.post(
        f"{BASE}/Contacts",
        json={"companyID": first, "firstName": "A", "lastName": "B", "companyLocationID": site_b},
    )
    assert response.status_code == 400


def test_opportunity_defaults_and_status_picklist(client: TestClient) -> None:
    company_id = company(client, "Deal Co")
    deal = post(
        client,
        "Opportunities",
        {"companyID": company_id, "title": "Renewal", "projectedCloseDate": "2027-01-31"},
    )
    item = get(client, "Opportunities", deal)
    assert (item["status"], item["cost"], item["useQuoteTotals"], item["amount"]) == (
        1,
        0.0,
        False,
        0.0,
    )
    assert item["startDate"].endswith("T00:00:00Z")
    assert item["ownerResourceID"] is not None and item["stage"] is not None
    bad = client.post(
        f"{BASE}/Opportunities",
        json={
            "companyID": company_id,
            "title": "X",
            "projectedCloseDate": "2027-01-31",
            "status": 9,
        },
    )
    assert bad.status_code == 400 and bad.json()["errors"][0].startswith("Invalid status")
    missing = client.post(f"{BASE}/Opportunities", json={"companyID": company_id})
    assert set(missing.json()["errors"]) == {"ProjectedCloseDate is required", "Title is required"}


def test_system_fields_maintained(client: TestClient) -> None:
    company_id = company(client, "Stamped Co")
    before = get(client, "Companies", company_id)
    client.patch(f"{BASE}/Companies", json={"id": company_id, "phone": "1"})
    after = get(client, "Companies", company_id)
    assert after["createDate"] == before["createDate"]

    def moment(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    modified = "lastTrackedModifiedDateTime"
    assert moment(after[modified]) >= moment(before[modified])
    assert after["createdByResourceID"] is not None


def test_failed_write_leaves_nothing_behind(client: TestClient) -> None:
    count = client.get(f"{BASE}/Companies/query/count").json()["queryCount"]
    bad = client.post(
        f"{BASE}/Companies",
        json={"companyName": "Half Co", "companyType": 1, "ownerResourceID": 999999},
    )
    assert bad.status_code == 404
    assert client.get(f"{BASE}/Companies/query/count").json()["queryCount"] == count
    sites = client.post(
        f"{BASE}/CompanyLocations/query/count",
        json={"filter": [{"op": "eq", "field": "name", "value": "Primary Location"}]},
    ).json()["queryCount"]
    assert sites == count
