"""The published ``py-autotask`` client (PyPI, pinned 2.3.0), unchanged, against a live server.

How py-autotask 2.3.0 talks to Autotask (read from its installed source):

- ``AutotaskClient.create(username=, integration_code=, secret=, api_url=None)``; the three
  headers go on every request (``ApiIntegrationCode``, ``UserName``, ``Secret``).
- Without ``api_url`` it discovers the zone: ``GET {AutotaskAuth.ZONE_INFO_URL}?user=...``
  (``https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation``, a class attribute
  we point at the server), then uses ``zoneInformation.url`` + ``v1.0/...``. The discovered
  zone is cached in a *class-level* dict keyed by user and integration code, so every test
  clears it (``AutotaskAuth.clear_zone_cache()``) - otherwise a later test would reuse the
  port of an earlier, stopped server.
- Create: ``POST /v1.0/{Entity}``; child entities listed in its ``CHILD_ENTITY_MAPPINGS``
  (``CompanyContacts``, ``CompanyLocations``) are created and updated through
  ``/v1.0/Companies/{companyID}/Contacts`` and ``/v1.0/Companies/{companyID}/Locations``.
- Update: ``PATCH /v1.0/{Entity}/{id}`` (item-level; children ``PATCH
  /v1.0/Companies/{cid}/Contacts/{id}``), with the id also in the body.
- Query: always ``POST /v1.0/{Entity}/query`` with ``{"filter": [...], "maxRecords": n,
  "includeFields": [...]}``; count: ``POST /v1.0/{Entity}/query/count``.
- Paging: ``query()`` exposes ``page_details.next_page_url``; the client's own
  ``query_all()`` does not follow it (it sets ``QueryRequest.offset``, which pydantic 2
  rejects, logs the error and returns the first page only - a py-autotask bug, not ours), so
  the paging test follows ``nextPageUrl`` with the client's own authenticated session, and
  also pages the way Autotask documents for large sets (``id gt lastId``) with ``query()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from py_autotask import AutotaskClient
from py_autotask.auth import AutotaskAuth
from py_autotask.exceptions import AutotaskAPIError
from py_autotask.types import QueryResponse, RequestConfig

from tests.compat.seed import PAGING_COUNT, PAGING_PREFIX, create_companies
from tests.conftest import LiveServer

pytestmark = pytest.mark.filterwarnings(
    # py-autotask 2.3.0 assigns plain dicts to pydantic fields in count(); harmless here
    "ignore:Pydantic serializer warnings:UserWarning",
)


class Recorder:
    """Every URL the client's data session requested (a ``requests`` response hook)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.statuses: list[int] = []

    def __call__(self, response: Any, *args: Any, **kwargs: Any) -> None:
        self.requests.append((response.request.method, response.url))
        self.statuses.append(response.status_code)

    def hosts(self) -> set[str]:
        return {urlsplit(url).netloc.rsplit(":", 1)[0] for _, url in self.requests}


def make_client(server: LiveServer, *, discover: bool = True) -> tuple[AutotaskClient, Recorder]:
    """A py-autotask client for ``server``: the zone from its ZoneInformation, or a fixed URL."""
    AutotaskAuth.clear_zone_cache()
    headers = server.headers
    client = AutotaskClient.create(
        username=headers["UserName"],
        integration_code=headers["ApiIntegrationcode"],
        secret=headers["Secret"],
        api_url=None if discover else f"{server.url}/ATServicesRest/",
        config=RequestConfig(timeout=30, max_retries=0),
    )
    if discover:
        # the one knob py-autotask has for the discovery host (a class attribute; set per instance)
        client.auth.ZONE_INFO_URL = f"{server.url}/atservicesrest/v1.0/zoneInformation"
    recorder = Recorder()
    client.session.hooks["response"].append(recorder)
    return client, recorder


@pytest.fixture
def pyat(live_server: LiveServer) -> Iterator[tuple[AutotaskClient, Recorder]]:
    client, recorder = make_client(live_server)
    yield client, recorder
    client.close()
    AutotaskAuth.clear_zone_cache()
    assert recorder.hosts() <= {"127.0.0.1"}, recorder.requests


@pytest.fixture
def autotask_mode_server(
    db_url: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> LiveServer:
    """``live_server`` in ``--compat autotask`` mode (it passes the environment on to the
    server process); asking for ``db_url`` here keeps the SQLite/PostgreSQL parametrisation."""
    monkeypatch.setenv("MSPCRM_COMPAT", "autotask")
    server: LiveServer = request.getfixturevalue("live_server")
    return server


# ---- zone discovery ------------------------------------------------------------------------
def test_zone_discovery_through_zone_information(
    live_server: LiveServer, pyat: tuple[AutotaskClient, Recorder]
) -> None:
    client, recorder = pyat
    assert client.auth.zone_info is None
    assert client.auth.api_url == f"{live_server.url}/ATServicesRest/"
    zone = client.auth.zone_info
    assert zone is not None
    assert zone.zone_name == "mspcrm"
    assert zone.web_url == f"{live_server.url}/"
    assert isinstance(zone.ci, int)

    assert client.auth.test_connection() is True  # POST v1.0/Companies/query, maxRecords 1
    root = client.companies.get(0)  # Autotask's "root" company: the MSP itself
    assert root is not None
    assert root["id"] == 0
    assert root["companyName"] == "My MSP"

    info = client.companies.get_entity_info()["info"]
    assert info["name"] == "Company"
    assert (info["canCreate"], info["canQuery"], info["canUpdate"]) == (True, True, True)
    assert info["canDelete"] is False
    fields = {f["name"]: f for f in client.companies.get_field_info()["fields"]}
    assert fields["companyName"]["isRequired"] is True
    assert fields["companyType"]["isPickList"] is True
    assert fields["id"]["isReadOnly"] is True

    assert recorder.requests[:2] == [
        ("POST", f"{live_server.url}/ATServicesRest/v1.0/Companies/query"),
        ("GET", f"{live_server.url}/ATServicesRest/v1.0/Companies/0"),
    ]

    # the other configuration: api_url = the server's /ATServicesRest/, no discovery at all
    fixed, fixed_recorder = make_client(live_server, discover=False)
    try:
        assert fixed.auth.api_url == f"{live_server.url}/ATServicesRest/"
        assert (fixed.companies.get(0) or {}).get("companyName") == "My MSP"
        assert fixed.auth.zone_info is None  # never asked
    finally:
        fixed.close()
    assert fixed_recorder.requests == [
        ("GET", f"{live_server.url}/ATServicesRest/v1.0/Companies/0")
    ]


# ---- the CRM scenario ----------------------------------------------------------------------
CHANGED_BY_PATCH = ("phone", "lastActivityDate", "lastTrackedModifiedDateTime")


def _without(record: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in keys}


def test_company_contact_location_scenario(pyat: tuple[AutotaskClient, Recorder]) -> None:
    client, recorder = pyat
    companies = client.companies

    # create
    created = companies.create(
        {
            "companyName": "Acme Widgets",
            "companyType": 1,
            "phone": "555-0100",
            "address1": "1 Main Street",
            "city": "Springfield",
            "state": "IL",
            "postalCode": "62701",
        }
    )
    company_id = created.item_id
    assert isinstance(company_id, int)
    assert company_id > 0
    company = companies.get(company_id)
    assert company is not None
    assert (company["id"], company["companyName"], company["phone"]) == (
        company_id,
        "Acme Widgets",
        "555-0100",
    )
    assert company["companyType"] == 1
    assert company["isActive"] is True
    assert company["userDefinedFields"] == []

    # query by name: a filter dict, the client's search helper (PascalCase field, contains)
    found = companies.query({"field": "companyName", "op": "eq", "value": "Acme Widgets"})
    assert [c["id"] for c in found.items] == [company_id]
    assert found.page_details.count == 1
    assert found.page_details.next_page_url is None
    assert [c["id"] for c in companies.search_companies_by_name("widgets")] == [company_id]
    assert companies.search_companies_by_name("no such company") == []
    slim = companies.query(
        [{"field": "id", "op": "eq", "value": company_id}], include_fields=["companyName"]
    )
    assert [(c["id"], c["companyName"]) for c in slim.items] == [(company_id, "Acme Widgets")]
    assert "phone" not in slim.items[0]
    assert companies.count({"field": "companyName", "op": "beginsWith", "value": "Acme"}) == 1

    # patch: only the phone changes
    companies.update({"id": company_id, "phone": "555-0199"})
    patched = companies.get(company_id)
    assert patched is not None
    assert patched["phone"] == "555-0199"
    assert _without(patched, *CHANGED_BY_PATCH) == _without(company, *CHANGED_BY_PATCH)
    companies.update_company(company_id, {"Phone": "555-0142"})  # update_by_id, PascalCase
    assert (companies.get(company_id) or {}).get("phone") == "555-0142"

    # a contact through the child route POST /Companies/{id}/Contacts
    company_contacts = client.entities.get_entity("CompanyContacts")
    contact_id = company_contacts.create(
        {
            "companyID": company_id,
            "firstName": "Ann",
            "lastName": "Lee",
            "emailAddress": "ann.lee@acme.example",
            "isActive": 1,
        }
    ).item_id
    contact = client.contacts.get(contact_id)
    assert contact is not None
    assert (contact["id"], contact["companyID"]) == (contact_id, company_id)
    assert (contact["firstName"], contact["lastName"]) == ("Ann", "Lee")
    assert contact["emailAddress"] == "ann.lee@acme.example"
    assert contact["isActive"] == 1
    # ... updated through PATCH /Companies/{id}/Contacts/{contactId}
    company_contacts.update({"id": contact_id, "companyID": company_id, "title": "CTO"})
    contact = client.contacts.get(contact_id)
    assert contact is not None
    assert (contact["title"], contact["firstName"]) == ("CTO", "Ann")
    by_company = client.contacts.query({"field": "companyID", "op": "eq", "value": company_id})
    assert [c["id"] for c in by_company.items] == [contact_id]

    # a location through the child route POST /Companies/{id}/Locations
    locations = client.entities.company_locations
    location_id = locations.create(
        {
            "companyID": company_id,
            "name": "Warehouse",
            "address1": "9 Dock Road",
            "city": "Shelbyville",
            "isPrimary": False,
        }
    ).item_id
    location = locations.get(location_id)  # GET /CompanyLocations/{id}
    assert location is not None
    assert (location["id"], location["companyID"], location["name"]) == (
        location_id,
        company_id,
        "Warehouse",
    )
    assert (location["city"], location["isPrimary"]) == ("Shelbyville", False)
    # the client's own helper (PascalCase names, a country name) also goes through the child route
    branch_id = locations.create_location(
        company_id, "Branch", "5 High Street", "Springfield", "IL", "62702"
    ).item_id
    branch = locations.get(branch_id)
    assert branch is not None
    assert (branch["companyID"], branch["name"], branch["postalCode"]) == (
        company_id,
        "Branch",
        "62702",
    )
    countries = client.entities.get_entity("Countries")
    united_states = countries.query({"field": "countryCode", "op": "eq", "value": "US"}).items
    assert branch["countryID"] == united_states[0]["id"]  # "Country": "United States", by name
    # CompanyID eq "<id>" and IsActive eq "true": strings for a number and a boolean
    company_locations = locations.get_locations_by_company(company_id)
    assert {location_id, branch_id} < {loc["id"] for loc in company_locations}
    assert all(loc["companyID"] == company_id for loc in company_locations)
    primaries = [loc for loc in company_locations if loc["isPrimary"]]
    assert len(primaries) == 1  # every company keeps exactly one primary location

    # batch_get: one query with "id in [...]" (ids sent as strings), None where nothing matched
    batch = companies.batch_get([company_id, 987654])
    assert [c["id"] if c else None for c in batch] == [company_id, None]

    # deletes through the child routes; reads of a missing record come back as None
    assert company_contacts.delete(contact_id, parent_id=company_id) is True
    assert client.contacts.get(contact_id) is None
    assert locations.delete(location_id, parent_id=company_id) is True
    assert locations.get(location_id) is None
    assert companies.get(987654) is None

    methods = {(method, urlsplit(url).path) for method, url in recorder.requests}
    assert ("POST", f"/ATServicesRest/v1.0/Companies/{company_id}/Contacts") in methods
    assert ("POST", f"/ATServicesRest/v1.0/Companies/{company_id}/Locations") in methods
    assert ("PATCH", f"/ATServicesRest/v1.0/Companies/{company_id}") in methods
    assert ("PATCH", f"/ATServicesRest/v1.0/Companies/{company_id}/Contacts/{contact_id}") in (
        methods
    )
    assert ("DELETE", f"/ATServicesRest/v1.0/Companies/{company_id}/Contacts/{contact_id}") in (
        methods
    )
    assert ("DELETE", f"/ATServicesRest/v1.0/Companies/{company_id}/Locations/{location_id}") in (
        methods
    )


# ---- paging --------------------------------------------------------------------------------
def _collect(
    first: QueryResponse, fetch: Callable[[str], QueryResponse]
) -> tuple[list[int], list[int]]:
    ids = [item["id"] for item in first.items]
    sizes = [len(first.items)]
    next_url = first.page_details.next_page_url
    while next_url:
        page = fetch(next_url)
        ids.extend(item["id"] for item in page.items)
        sizes.append(len(page.items))
        assert len(sizes) < 10, "nextPageUrl does not end"
        next_url = page.page_details.next_page_url
    return ids, sizes


def test_pages_through_1200_companies(
    live_server: LiveServer, pyat: tuple[AutotaskClient, Recorder]
) -> None:
    expected = create_companies(live_server)
    assert len(expected) == PAGING_COUNT
    client, _ = pyat
    by_prefix = {"field": "companyName", "op": "beginsWith", "value": PAGING_PREFIX}
    assert client.companies.count(by_prefix) == PAGING_COUNT

    # 1. nextPageUrl, followed with the client's own session (GET, as its paging helpers parse it)
    def get_next(url: str) -> QueryResponse:
        assert url.startswith(f"{live_server.url}/ATServicesRest/V1.0/Companies/query/next?")
        response = client.session.get(url, timeout=30)
        assert response.status_code == 200, response.text
        return QueryResponse(**response.json())

    first = client.companies.query(by_prefix)
    assert first.page_details.request_count == 500
    ids, sizes = _collect(first, get_next)
    assert sizes == [500, 500, 200]
    assert len(ids) == len(set(ids)) == PAGING_COUNT
    assert sorted(ids) == sorted(expected)
    assert ids == sorted(ids)  # ascending id order, page after page

    # 2. smaller pages and only two fields, following nextPageUrl with a bodyless POST: page
    #    size and includeFields hold on every page
    keys: set[frozenset[str]] = set()

    def post_next(url: str) -> QueryResponse:
        response = client.session.post(url, timeout=30)
        assert response.status_code == 200, response.text
        page = QueryResponse(**response.json())
        keys.update(frozenset(item) for item in page.items)
        return page

    first = client.companies.query(by_prefix, include_fields=["companyName"], max_records=250)
    assert first.page_details.request_count == 250
    keys.update(frozenset(item) for item in first.items)
    ids, sizes = _collect(first, post_next)
    assert sizes == [250, 250, 250, 250, 200]
    assert ids == sorted(expected)
    assert keys == {frozenset({"id", "companyName", "userDefinedFields"})}

    # 3. Autotask's documented recipe for big sets: "id gt <last id>", 500 at a time
    ids, last = [], -1
    for _ in range(10):
        page = client.companies.query(
            [by_prefix, {"field": "id", "op": "gt", "value": last}],
            include_fields=["id"],
            max_records=500,
        )
        if not page.items:
            break
        ids.extend(item["id"] for item in page.items)
        last = page.items[-1]["id"]
    assert ids == sorted(expected)


# ---- the client's convenience helpers, against autotask mode ---------------------------------
def test_create_helpers_in_autotask_mode(autotask_mode_server: LiveServer) -> None:
    """py-autotask's ``create_company``/``create_contact`` send a property no Autotask entity has
    (``"Active": true``). ``--compat autotask`` ignores unknown body properties, so the helpers
    work there; default mode answers 400 "Unknown field Active for the Company entity" (its
    documented strictness), which py-autotask reports only as "API error: HTTP 400"."""
    client, recorder = make_client(autotask_mode_server)
    try:
        company_id = client.companies.create_company(
            "Helper Co", phone="555-2000", city="Springfield", state="IL"
        ).item_id
        company = client.companies.get(company_id)
        assert company is not None
        assert (company["companyName"], company["phone"], company["city"]) == (
            "Helper Co",
            "555-2000",
            "Springfield",
        )
        assert (company["companyType"], company["isActive"]) == (1, True)

        contact_id = client.contacts.create_contact(
            "Bob", "Smith", company_id, email_address="bob@helper.example", title="Owner"
        ).item_id  # py-autotask POSTs this one to the root /Contacts
        contact = client.contacts.get(contact_id)
        assert contact is not None
        assert (contact["companyID"], contact["firstName"], contact["lastName"]) == (
            company_id,
            "Bob",
            "Smith",
        )
        assert (contact["emailAddress"], contact["title"]) == ("bob@helper.example", "Owner")
        assert contact["isActive"] == 1

        assert client.companies.get(424242) is None  # {"item": null} in autotask mode
    finally:
        client.close()
        AutotaskAuth.clear_zone_cache()
    assert recorder.hosts() <= {"127.0.0.1"}, recorder.requests


def test_autotask_mode_answers_405_to_item_level_patch(autotask_mode_server: LiveServer) -> None:
    client, recorder = make_client(autotask_mode_server)
    try:
        company_id = client.companies.create({"companyName": "Patch Co", "companyType": 1}).item_id
        with pytest.raises(AutotaskAPIError):
            client.companies.update({"id": company_id, "phone": "555-0199"})
        assert recorder.requests[-1] == (
            "PATCH",
            f"{autotask_mode_server.url}/ATServicesRest/v1.0/Companies/{company_id}",
        )
        assert recorder.statuses[-1] == 405
    finally:
        client.close()
        AutotaskAuth.clear_zone_cache()
