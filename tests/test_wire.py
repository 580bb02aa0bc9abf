"""One test per wire rule of the Autotask surface (reference §1-§8), in default mode."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from starlette.testclient import TestClient

from mspcrm.services.crm import Services

BASE = "/ATServicesRest/V1.0"
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$")


def create_company(client: TestClient, name: str, **extra: Any) -> int:
    response = client.post(
        f"{BASE}/Companies", json={"companyName": name, "companyType": 1, **extra}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["itemId"])


# ---- paths and discovery ------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/ATServicesRest/V1.0/Companies/0",
        "/atservicesrest/v1.0/companies/0",
        "/ATSERVICESREST/V1.0/COMPANIES/0/",
        "/ATServicesRest//V1.0//Companies/0",
    ],
)
def test_paths_match_in_any_case_with_extra_slashes(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json()["item"]["id"] == 0


def test_version_and_zone_need_no_auth_and_point_back(client: TestClient) -> None:
    bare = TestClient(client.app, base_url="http://crm.example:9000")
    assert bare.get("/ATServicesRest/VersionInformation").json() == {"apiVersions": ["V1.0"]}
    zone = bare.get("/atservicesrest/v1.0/zoneInformation?user=someone@msp.example").json()
    assert zone["url"] == "http://crm.example:9000/ATServicesRest/"
    assert zone["webUrl"].endswith("/")
    assert isinstance(zone["ci"], int) and zone["zoneName"]
    assert bare.get(f"{BASE}/Companies/0").status_code == 401


def test_threshold_information_counts_requests(client: TestClient) -> None:
    first = client.get(f"{BASE}/ThresholdInformation").json()
    second = client.get(f"{BASE}/ThresholdInformation").json()
    assert first["externalRequestThreshold"] == 10000
    assert first["requestThresholdTimeframe"] == 60
    assert second["currentTimeframeRequestCount"] == first["currentTimeframeRequestCount"] + 1


def test_unknown_route_is_404_with_errors_body(client: TestClient) -> None:
    response = client.get(f"{BASE}/Widgets/1")
    assert response.status_code == 404
    assert "Widgets" in response.json()["errors"][0]


# ---- auth -------------------------------------------------------------------------------
def test_auth_headers_in_any_letter_case(client: TestClient) -> None:
    headers = {
        k.lower(): v
        for k, v in client.headers.items()
        if k.lower() in ("apiintegrationcode", "username", "secret")
    }
    bare = TestClient(client.app)
    assert (
        bare.get(
            f"{BASE}/Companies/0", headers={k.upper(): v for k, v in headers.items()}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "change", [{"Secret": "wrong"}, {"UserName": "nobody@msp.example"}, {"ApiIntegrationcode": "X"}]
)
def test_bad_credentials_get_401_with_errors(client: TestClient, change: dict[str, str]) -> None:
    response = client.get(f"{BASE}/Companies/0", headers=change)
    assert response.status_code == 401
    assert response.json()["errors"]


def test_missing_credentials_get_401(client: TestClient) -> None:
    response = TestClient(client.app).get(f"{BASE}/Companies/0")
    assert response.status_code == 401
    assert "ApiIntegrationCode" in response.json()["errors"][0]


# ---- query documents ----------------------------------------------------------------
def test_get_query_with_single_quoted_search(client: TestClient) -> None:
    company = create_company(client, "Quoted Search Ltd")
    search = "{'filter':[{'op':'contains','field':'companyName','value':'quoted'}]}"
    items = client.get(f"{BASE}/Companies/query", params={"search": search}).json()["items"]
    assert [i["id"] for i in items] == [company]


def test_seed_search_example_works_as_written(client: TestClient) -> None:
    company = create_company(client, "Acme Corporation")
    raw = '{"filter":[{"field":"companyName","op":"contains","value":"acme"}]}'
    items = client.get(f"{BASE}/Companies/query?search={raw}").json()["items"]
    assert [i["id"] for i in items] == [company]


def test_keys_and_field_names_case_insensitive(client: TestClient) -> None:
    company = create_company(client, "Case Keys Inc")
    body = {
        "Filter": [{"OP": "eq", "Field": "COMPANYNAME", "Value": "case keys inc"}],
        "includeFields": ["CompanyName"],
        "maxRecords": 3,
    }
    page = client.post(f"{BASE}/Companies/query", json=body).json()
    assert page["items"] == [
        {"id": company, "companyName": "Case Keys Inc", "userDefinedFields": []}
    ]
    assert page["pageDetails"]["requestCount"] == 3


def test_include_fields_keep_entity_order_and_id(client: TestClient) -> None:
    create_company(client, "Order Co", city="Springfield", state="IL")
    body = {
        "filter": [{"op": "eq", "field": "companyName", "value": "Order Co"}],
        "IncludeFields": ["state", "companyName", "city"],
    }
    item = client.post(f"{BASE}/Companies/query", json=body).json()["items"][0]
    assert list(item) == ["id", "city", "companyName", "state", "userDefinedFields"]


def test_default_page_size_is_500(client: TestClient) -> None:
    details = client.post(f"{BASE}/Companies/query", json={"filter": []}).json()["pageDetails"]
    assert details["requestCount"] == 500
    assert details["prevPageUrl"] is None and details["nextPageUrl"] is None


@pytest.mark.parametrize("max_records", [0, 501, -1, "abc"])
def test_max_records_outside_range(client: TestClient, max_records: Any) -> None:
    response = client.post(
        f"{BASE}/Companies/query", json={"filter": [], "MaxRecords": max_records}
    )
    assert response.status_code == 400
    assert response.json() == {"errors": ["maxCountOfRecordsToReturn must be between 1 and 500"]}


def test_unknown_field_message(client: TestClient) -> None:
    body = {"filter": [{"op": "eq", "field": "projectID", "value": 1}]}
    response = client.post(f"{BASE}/Companies/query", json=body)
    assert response.status_code == 400
    assert response.json() == {"errors": ["Unable to find projectID in the Company Entity"]}


def test_empty_result_is_200_with_empty_items(client: TestClient) -> None:
    body = {"filter": [{"op": "eq", "field": "companyName", "value": "nobody at all"}]}
    page = client.post(f"{BASE}/Companies/query", json=body).json()
    assert page["items"] == [] and page["pageDetails"]["count"] == 0


def test_count_by_get_and_post(client: TestClient) -> None:
    for n in range(3):
        create_company(client, f"Counted {n}")
    search = '{"filter":[{"op":"beginsWith","field":"companyName","value":"counted"}]}'
    assert client.get(f"{BASE}/Companies/query/count", params={"search": search}).json() == {
        "queryCount": 3
    }
    assert client.post(f"{BASE}/Companies/query/count", content=search).json() == {"queryCount": 3}


# ---- paging -------------------------------------------------------------------------
def _follow(client: TestClient, first: dict[str, Any], how: str, body: Any) -> list[int]:
    ids = [i["id"] for i in first["items"]]
    url = first["pageDetails"]["nextPageUrl"]
    while url:
        assert url.startswith("http://testserver/ATServicesRest/V1.0/Companies/query/next?")
        if how == "GET":
            page = client.get(url).json()
        elif how == "POST-body":
            page = client.post(url, json=body).json()
        else:
            page = client.post(url).json()
        ids += [i["id"] for i in page["items"]]
        url = page["pageDetails"]["nextPageUrl"]
    return ids


@pytest.mark.parametrize("how", ["GET", "POST-body", "POST-empty"])
def test_next_page_url_followed_any_way_gives_every_row_once(client: TestClient, how: str) -> None:
    made = [create_company(client, f"Paged {n:03d}") for n in range(23)]
    body = {
        "filter": [{"op": "beginsWith", "field": "companyName", "value": "Paged"}],
        "MaxRecords": 5,
    }
    first = client.post(f"{BASE}/Companies/query", json=body).json()
    assert first["pageDetails"]["count"] == 5
    assert _follow(client, first, how, body) == made


def test_next_page_url_is_keyset_and_self_contained(client: TestClient) -> None:
    for n in range(4):
        create_company(client, f"Keyset {n}")
    body = {
        "filter": [{"op": "beginsWith", "field": "companyName", "value": "Keyset"}],
        "MaxRecords": 2,
    }
    first = client.post(f"{BASE}/Companies/query", json=body).json()
    query = parse_qs(urlsplit(first["pageDetails"]["nextPageUrl"]).query)
    paging = orjson.loads(query["paging"][0])
    assert paging["pageSize"] == 2 and paging["nextIds"] == [first["items"][-1]["id"]]
    assert orjson.loads(query["search"][0]) == body


def test_paging_by_id_gt_gives_same_rows(client: TestClient) -> None:
    made = [create_company(client, f"IdPaged {n}") for n in range(9)]
    seen: list[int] = []
    last = -1
    while True:
        body = {
            "filter": [
                {"op": "beginsWith", "field": "companyName", "value": "IdPaged"},
                {"op": "gt", "field": "id", "value": last},
            ],
            "MaxRecords": 4,
        }
        items = client.post(f"{BASE}/Companies/query", json=body).json()["items"]
        if not items:
            break
        seen += [i["id"] for i in items]
        last = items[-1]["id"]
    assert seen == made


def test_prev_page_url_goes_back(client: TestClient) -> None:
    for n in range(6):
        create_company(client, f"Back {n}")
    body = {
        "filter": [{"op": "beginsWith", "field": "companyName", "value": "Back"}],
        "MaxRecords": 2,
    }
    first = client.post(f"{BASE}/Companies/query", json=body).json()
    second = client.get(first["pageDetails"]["nextPageUrl"]).json()
    again = client.get(second["pageDetails"]["prevPageUrl"]).json()
    assert again["items"] == first["items"]


def test_bad_paging_token_is_400(client: TestClient) -> None:
    response = client.get(f"{BASE}/Companies/query/next?paging=notjson&search=%7B%7D")
    assert response.status_code == 400
    assert "paging" in response.json()["errors"][0]


# ---- input and output ----------------------------------------------------------------
def test_pascal_case_names_string_booleans_and_id_zero(client: TestClient) -> None:
    body = {
        "id": "0",
        "CompanyName": "Pascal Co",
        "CompanyType": "1",
        "IsActive": "True",
        "isTaxExempt": "1",
        "phone": 5551234,
    }
    company = client.post(f"{BASE}/Companies", json=body).json()["itemId"]
    item = client.get(f"{BASE}/Companies/{company}").json()["item"]
    assert (item["companyName"], item["companyType"], item["isActive"]) == ("Pascal Co", 1, True)
    assert item["isTaxExempt"] is True and item["phone"] == "5551234"


def test_read_only_fields_in_a_patch_are_ignored(client: TestClient) -> None:
    company = create_company(client, "Whole Record Co")
    item = client.get(f"{BASE}/Companies/{company}").json()["item"]
    item["createDate"] = "2001-01-01T00:00:00Z"
    item["phone"] = "555-000-1111"
    assert client.patch(f"{BASE}/Companies", json=item).json() == {"itemId": company}
    after = client.get(f"{BASE}/Companies/{company}").json()["item"]
    assert after["phone"] == "555-000-1111"
    assert after["createDate"] != "2001-01-01T00:00:00Z"


def test_output_formats(client: TestClient) -> None:
    company = create_company(client, "Formats Co")
    item = client.get(f"{BASE}/Companies/{company}").json()["item"]
    assert DATETIME.match(item["createDate"]) and DATETIME.match(
        item["lastTrackedModifiedDateTime"]
    )
    assert item["companyNumber"] == ""
    booleans = [
        "isActive",
        "isClientPortalActive",
        "isEnabledForComanaged",
        "isTaskFireActive",
        "isTaxExempt",
        "invoiceNonContractItemsToParentCompany",
    ]
    assert all(isinstance(item[b], bool) for b in booleans)
    assert item["userDefinedFields"] == []


def test_patch_changes_only_given_fields_put_replaces(client: TestClient) -> None:
    company = create_company(client, "Replace Co", city="Springfield", phone="555-1")
    client.patch(f"{BASE}/Companies", json={"id": company, "city": "Shelbyville"})
    item = client.get(f"{BASE}/Companies/{company}").json()["item"]
    assert (item["city"], item["phone"]) == ("Shelbyville", "555-1")
    client.put(
        f"{BASE}/Companies",
        json={
            "id": company,
            "companyName": "Replace Co",
            "companyType": 2,
            "ownerResourceID": item["ownerResourceID"],
        },
    )
    item = client.get(f"{BASE}/Companies/{company}").json()["item"]
    assert (item["city"], item["phone"], item["companyType"]) == (None, None, 2)


def test_item_level_patch_is_accepted(client: TestClient) -> None:
    company = create_company(client, "Item Patch Co")
    assert client.patch(f"{BASE}/Companies/{company}", json={"phone": "1"}).json() == {
        "itemId": company
    }
    mismatch = client.patch(f"{BASE}/Companies/{company}", json={"id": company + 1, "phone": "2"})
    assert mismatch.status_code == 400


def test_update_of_missing_record_is_404(client: TestClient) -> None:
    response = client.patch(f"{BASE}/Companies", json={"id": 987654, "phone": "1"})
    assert response.status_code == 404
    assert response.json()["errors"][0].startswith("Company not found")


@pytest.mark.parametrize("body", ["not json", "[1, 2]", "", "null"])
def test_bad_bodies_are_400(client: TestClient, body: str) -> None:
    response = client.post(f"{BASE}/Companies", content=body)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_companies_and_opportunities_cannot_be_deleted(client: TestClient) -> None:
    assert client.delete(f"{BASE}/Companies/0").status_code == 405
    assert client.delete(f"{BASE}/Opportunities/1").status_code == 405


def test_method_not_on_route_is_405(client: TestClient) -> None:
    assert client.delete(f"{BASE}/Companies").status_code == 405
    assert client.put(f"{BASE}/Companies/query", json={}).status_code == 405


# ---- child routes -------------------------------------------------------------------
def test_child_routes_for_contacts_and_locations(client: TestClient) -> None:
    company = create_company(client, "Child Routes Co", address1="1 Road", city="Town")
    contact = client.post(
        f"{BASE}/Companies/{company}/Contacts",
        json={"firstName": "Ann", "lastName": "Lee", "emailAddress": "ann@child.example"},
    )
    assert contact.status_code == 200, contact.text
    contact_id = contact.json()["itemId"]
    listed = client.get(f"{BASE}/Companies/{company}/Contacts").json()
    assert [c["id"] for c in listed["items"]] == [contact_id]
    got = client.get(f"{BASE}/Companies/{company}/Contacts/{contact_id}").json()["item"]
    assert got["companyID"] == company
    assert client.patch(
        f"{BASE}/Companies/{company}/Contacts", json={"id": contact_id, "title": "CTO"}
    ).json() == {"itemId": contact_id}
    site = client.post(f"{BASE}/Companies/{company}/Locations", json={"name": "Branch"}).json()[
        "itemId"
    ]
    locations = client.get(f"{BASE}/Companies/{company}/Locations").json()["items"]
    assert {loc["name"] for loc in locations} == {"Primary Location", "Branch"}
    assert client.delete(f"{BASE}/Companies/{company}/Locations/{site}").json() == {"itemId": site}
    assert client.delete(f"{BASE}/Companies/{company}/Contacts/{contact_id}").json() == {
        "itemId": contact_id
    }


def test_child_route_parent_must_match(client: TestClient) -> None:
    first = create_company(client, "Parent One")
    second = create_company(client, "Parent Two")
    contact = client.post(
        f"{BASE}/Companies/{first}/Contacts", json={"firstName": "A", "lastName": "B"}
    ).json()["itemId"]
    assert client.get(f"{BASE}/Companies/{second}/Contacts/{contact}").status_code == 404
    assert client.delete(f"{BASE}/Companies/{second}/Contacts/{contact}").status_code == 404
    clash = client.post(
        f"{BASE}/Companies/{first}/Contacts",
        json={"companyID": second, "firstName": "A", "lastName": "C"},
    )
    assert clash.status_code == 400
    assert client.get(f"{BASE}/Companies/999999/Contacts").status_code == 404


def test_child_route_entity_information(client: TestClient) -> None:
    fields = client.get(f"{BASE}/Companies/0/Contacts/entityInformation/fields").json()["fields"]
    assert any(f["name"] == "primaryContact" for f in fields)


def test_root_posts_on_contacts_and_locations_use_body_company(client: TestClient) -> None:
    company = create_company(client, "Root Routes Co")
    contact = client.post(
        f"{BASE}/Contacts", json={"companyID": company, "firstName": "J", "lastName": "S"}
    )
    assert contact.status_code == 200
    site = client.post(
        f"{BASE}/CompanyLocations", json={"companyID": company, "name": "Main Office"}
    )
    assert site.status_code == 200
    item = client.get(f"{BASE}/CompanyLocations/{site.json()['itemId']}").json()["item"]
    assert item["companyID"] == company


# ---- UDFs ---------------------------------------------------------------------------
def test_udfs_read_write_filter_and_describe(client: TestClient, services: Services) -> None:
    from mspcrm.domain.udfs import UdfDefinition

    services.admin.add_udf(
        UdfDefinition(entity="Company", name="Number of Employees", type="number")
    )
    services.admin.add_udf(UdfDefinition(entity="Company", name="NAV ID"))
    company = create_company(
        client, "Udf Co", userDefinedFields=[{"name": "Number of Employees", "value": "42"}]
    )
    item = client.get(f"{BASE}/Companies/{company}").json()["item"]
    assert item["userDefinedFields"] == [
        {"name": "Number of Employees", "value": "42"},
        {"name": "NAV ID", "value": None},
    ]
    client.patch(
        f"{BASE}/Companies",
        json={"id": company, "userDefinedFields": [{"name": "nav id", "value": "N-1"}]},
    )
    item = client.get(f"{BASE}/Companies/{company}").json()["item"]
    assert item["userDefinedFields"][1] == {"name": "NAV ID", "value": "N-1"}
    assert item["userDefinedFields"][0]["value"] == "42"
    body = {"filter": [{"op": "gt", "field": "Number of Employees", "value": 40, "udf": True}]}
    assert [i["id"] for i in client.post(f"{BASE}/Companies/query", json=body).json()["items"]] == [
        company
    ]
    described = client.get(f"{BASE}/Companies/entityInformation/userDefinedFields").json()["fields"]
    assert [(d["name"], d["type"]) for d in described] == [
        ("Number of Employees", "number"),
        ("NAV ID", "string"),
    ]
    bad = client.patch(
        f"{BASE}/Companies",
        json={"id": company, "userDefinedFields": [{"name": "Nope", "value": 1}]},
    )
    assert bad.status_code == 400 and "Nope" in bad.json()["errors"][0]
