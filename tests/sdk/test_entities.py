"""The SDK in process against the real app and database: CRUD, children, paging, metadata."""

from __future__ import annotations

import itertools

import httpx
import pytest

from mspcrm import errors
from mspcrm.api.app import create_app
from mspcrm.sdk import ASGIInProcessTransport, Client, F, Q
from mspcrm.services.crm import Services
from tests.conftest import ApiCredentials
from tests.sdk.conftest import add_companies, make_client


class CountingTransport(httpx.BaseTransport):
    """Records the requests it passes on, to see what the client sends and when."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_company_crud_and_query(sdk: Client) -> None:
    companies = sdk.companies
    new_id = companies.create({"companyName": "Acme Oslo", "companyType": 1, "city": "Oslo"})
    assert companies.get(new_id) is not None
    assert companies.update({"id": new_id, "city": "Bergen"}) == new_id
    record = companies.get(new_id)
    assert record is not None and record["city"] == "Bergen"
    assert companies.replace({"id": new_id, "companyName": "Acme AS", "companyType": 2}) == new_id
    record = companies.get(new_id)
    assert record is not None and record["city"] in (None, "") and record["companyType"] == 2
    found = list(companies.query(F("companyName").begins_with("acme"), include_fields=["id"]))
    assert [r["id"] for r in found] == [new_id]
    assert companies.count(F("companyName").contains("ACME")) == 1
    assert companies.first(Q(companyName="Acme AS")) == companies.get(new_id)
    assert companies.get(987654) is None


def test_contacts_are_written_under_their_company(
    services: Services, api_user: ApiCredentials
) -> None:
    counting = CountingTransport(ASGIInProcessTransport(create_app(services=services)))
    with make_client("http://testserver/ATServicesRest/", transport=counting) as client:
        company_id = client.companies.create({"companyName": "Parent Co", "companyType": 1})
        contact_id = client.contacts.create(
            {"companyID": company_id, "firstName": "Ada", "lastName": "Lovelace"}
        )
        client.contacts.update({"id": contact_id, "title": "Countess"})  # companyID looked up
        client.contacts.delete(contact_id)
        assert client.contacts.get(contact_id) is None
        with pytest.raises(errors.ValidationError, match="companyID is required"):
            client.contacts.create({"firstName": "No", "lastName": "Company"})
    sent = [(r.method, r.url.path) for r in counting.requests[1:]]
    child = f"/ATServicesRest/V1.0/Companies/{company_id}/Contacts"
    assert sent == [
        ("POST", child),
        ("GET", f"/ATServicesRest/V1.0/Contacts/{contact_id}"),
        ("PATCH", child),
        ("GET", f"/ATServicesRest/V1.0/Contacts/{contact_id}"),
        ("DELETE", f"{child}/{contact_id}"),
        ("GET", f"/ATServicesRest/V1.0/Contacts/{contact_id}"),
    ]


def test_child_routes(sdk: Client) -> None:
    company_id = sdk.companies.create({"companyName": "Sites Inc", "companyType": 1})
    locations = sdk.companies.children(company_id, "Locations")
    site_id = locations.create({"name": "Branch", "city": "Tromsø"})
    assert locations.update({"id": site_id, "city": "Bodø"}) == site_id
    site = locations.get(site_id)
    assert site is not None and site["city"] == "Bodø" and site["companyID"] == company_id
    assert site_id in [s["id"] for s in locations]
    locations.delete(site_id)
    assert locations.get(site_id) is None
    contacts = sdk.entity("Company").children(company_id, "Contacts")
    contact_id = contacts.create({"firstName": "Grace", "lastName": "Hopper"})
    assert [c["id"] for c in contacts.list()] == [contact_id]
    assert sdk.company_locations.count(F("companyID").eq(company_id)) >= 1


def test_paging_is_lazy_and_capped(services: Services, api_user: ApiCredentials) -> None:
    add_companies(services, api_user.resource_id, 520)  # two pages of at most 500
    counting = CountingTransport(ASGIInProcessTransport(create_app(services=services)))
    with make_client("http://testserver/ATServicesRest/", transport=counting) as client:
        records = client.companies.query(F("companyName").begins_with("Bulk"))
        assert counting.requests == []
        first = list(itertools.islice(records, 3))
        assert len(counting.requests) == 1
        rest = list(records)
        assert len(first) + len(rest) == 520 and len(counting.requests) == 2
        assert [r.method for r in counting.requests] == ["POST", "POST"]
        names = [r["companyName"] for r in [*first, *rest]]
        assert names == sorted(names) and len(set(names)) == 520
        capped = list(client.companies.query(F("companyName").begins_with("Bulk"), max_records=7))
        assert len(capped) == 7 and b'"MaxRecords":7' in counting.requests[-1].content
        assert client.companies.count(None) == 521  # and the MSP's own company 0


def test_describe_and_picklists_come_from_metadata_and_are_cached(sdk: Client) -> None:
    description = sdk.describe("companies")
    assert sdk.describe("Companies") is description
    assert description.field("companyname").is_required
    company_type = description.picklist("companyType")
    assert company_type.value("customer") == company_type.by_label["Customer"]
    assert company_type.label(company_type.by_label["Lead"]) == "Lead"
    assert sdk.companies.picklist("companyType") == dict(company_type.by_label)
    assert all(isinstance(v, int) for v in company_type.by_label.values())
    assert "companyName" in description.required and "id" not in description.writable
    assert description.field("billToCompanyLocationID").reference_entity_type == "CompanyLocation"
    with pytest.raises(errors.ValidationError, match="not a value of companyType"):
        company_type.value("Nope")
    info = sdk.companies.info()
    assert info["canCreate"] is True and info["canDelete"] is False
    assert {f["name"] for f in sdk.contacts.fields()} >= {"firstName", "companyID"}
    assert sdk.companies.udfs() == []


def test_errors_map_to_the_exception_tree(sdk: Client) -> None:
    with pytest.raises(errors.ValidationError) as invalid:
        sdk.companies.create({"companyType": 1})
    assert any("companyName" in m or "CompanyName" in m for m in invalid.value.errors)
    with pytest.raises(errors.QueryError, match="Unable to find companyNam in the Company Entity"):
        list(sdk.companies.query(F("companyNam").eq("x")))
    with pytest.raises(errors.MethodNotAllowedError):
        sdk.companies.delete(0)
    with pytest.raises(errors.NotFoundError):
        sdk.companies.update({"id": 424242, "city": "Nowhere"})


def test_autotask_mode_errors_keep_their_meaning(make_services: object) -> None:
    from tests.conftest import add_api_user

    services = make_services("autotask")  # type: ignore[operator]
    add_api_user(services)
    transport = ASGIInProcessTransport(create_app(services=services))
    with make_client("http://testserver", transport=transport) as client:
        assert client.companies.get(31337) is None  # 200 {"item": null}
        with pytest.raises(errors.QueryError, match="Unable to find nosuch in the Company"):
            client.companies.count(F("nosuch").eq(1))  # Autotask's 500
        with pytest.raises(errors.MethodNotAllowedError, match="does not support http method"):
            client.companies.delete(0)  # ASP.NET {"Message": ...}
        with pytest.raises(errors.ServerError) as business:
            client.companies.create({"companyType": 1})  # Autotask's 500, text kept
        assert business.value.errors and "HTTP 500" in "".join(business.value.__notes__)
