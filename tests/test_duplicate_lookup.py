"""The client-side check (for a real Autotask tenant) gives the server's answer."""

from __future__ import annotations

from typing import Any

import pytest

from mspcrm.domain.entities import COMPANY, CONTACT
from mspcrm.duplicate_lookup import check_by_queries
from mspcrm.targets import Target, open_target


@pytest.fixture
def target(db_url: str) -> Any:
    with open_target(database=db_url) as opened:
        yield opened


def test_client_side_check_matches_the_server(target: Target) -> None:
    companies = target.client.companies
    acme = companies.create(
        {
            "companyName": "Acme Inc.",
            "companyType": 1,
            "phone": "555-123-4567",
            "webAddress": "https://acme.example",
        }
    )
    companies.create({"companyName": "Springfield Dental", "companyType": 1})
    for body in (
        {"companyName": "ACME Incorporated"},
        {"companyName": "Acme Widgets", "webAddress": "www.acme.example"},
        {"companyName": "Nothing Alike"},
    ):
        server = target.client.native.duplicates_check("Companies", body)
        local = check_by_queries(target.client, COMPANY, body)
        assert local["verdict"] == server["verdict"], body
        assert [m["id"] for m in local["matches"]][:1] == [m["id"] for m in server["matches"]][:1]
    contact = target.client.companies.children(acme, "Contacts").create(
        {"firstName": "John", "lastName": "Smith", "emailAddress": "john@acme.example"}
    )
    body = {
        "companyID": acme,
        "firstName": "Jon",
        "lastName": "Smith",
        "emailAddress": "JOHN+x@acme.example",
    }
    local = check_by_queries(target.client, CONTACT, body)
    assert local["verdict"] == "matched" and local["matches"][0]["id"] == contact
