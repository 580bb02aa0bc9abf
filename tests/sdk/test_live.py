"""The SDK against a real ``mspcrm serve`` process on loopback."""

from __future__ import annotations

import httpx
import pytest

from mspcrm import errors
from mspcrm.config import Settings
from mspcrm.sdk import Client, F
from mspcrm.services.crm import build_services
from tests.conftest import API_CODE, API_USER, LiveServer
from tests.sdk.conftest import add_companies, make_client
from tests.sdk.test_entities import CountingTransport


def test_zone_discovery_crud_and_errors(live_server: LiveServer) -> None:
    with make_client(live_server.url) as client:
        assert not client.discovered
        contact_count = client.contacts.count()
        assert client.api_url == f"{live_server.url}/ATServicesRest/"
        company_id = client.companies.create({"companyName": "Live Ltd", "companyType": 1})
        contact_id = client.contacts.create(
            {"companyID": company_id, "firstName": "Linus", "lastName": "Live"}
        )
        assert client.contacts.update({"id": contact_id, "title": "CTO"}) == contact_id
        contact = client.contacts.get(contact_id)
        assert contact is not None and contact["title"] == "CTO"
        assert client.contacts.count() == contact_count + 1
        client.contacts.delete(contact_id)
        assert client.contacts.get(contact_id) is None  # a missing id is None, not an error
        with pytest.raises(errors.QueryError) as unknown_field:
            list(client.companies.query(F("nosuchField").eq(1)))
        assert unknown_field.value.errors == ["Unable to find nosuchField in the Company Entity"]
    wrong = Client(
        f"{live_server.url}/ATServicesRest/V1.0",
        username=API_USER,
        secret="not the secret",
        integration_code=API_CODE,
    )
    with wrong, pytest.raises(errors.AuthenticationError):
        wrong.companies.get(0)


def test_paging_through_more_than_a_thousand_records(live_server: LiveServer) -> None:
    services = build_services(Settings(database_url=live_server.database))
    try:
        counting = CountingTransport(httpx.HTTPTransport())
        with make_client(f"{live_server.url}/ATServicesRest/", transport=counting) as client:
            owner = client.resources.first(F("userName").eq(API_USER))
            assert owner is not None
            add_companies(services, owner["id"], 1_100, prefix="Paged")
            del counting.requests[:]
            ids = [c["id"] for c in client.companies.query(F("companyName").begins_with("Paged"))]
    finally:
        services.close()
    assert len(ids) == 1_100 and ids == sorted(ids) and len(set(ids)) == 1_100
    pages = [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in counting.requests]
    assert pages == [("POST", "query"), ("POST", "next"), ("POST", "next")]
