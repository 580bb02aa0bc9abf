"""The data-quality audit: each rule fires on its fixture and stays quiet on clean data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from mspcrm.domain.audit import RULES
from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION, CONTACT
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.workflows import workflows_for
from mspcrm.store import repository
from tests.workflows.conftest import template


def make(services: Services, entity: str, body: dict[str, Any], actor: Actor) -> int:
    return services.records.create(services.registry.by_name(entity), body, actor)


def company(services: Services, actor: Actor, name: str = "Globex", **more: Any) -> int:
    return make(services, "Company", {"companyName": name, "companyType": 1, **more}, actor)


def person(services: Services, actor: Actor, company_id: int, **more: Any) -> int:
    body = {"companyID": company_id, "firstName": "Ann", "lastName": "Lee",
            "emailAddress": "ann@globex.example", "primaryContact": True, **more}  # fmt: skip
    return make(services, "Contact", body, actor)


def raw_insert(services: Services, entity: Any, values: dict[str, Any]) -> int:
    """A row written around the rules, as an old import or a direct SQL fix would leave it."""
    with services.db.write() as conn:
        return repository.insert(conn, entity, values, {} if entity.has_udfs else None)


def no_account_manager(s: Services, a: Actor) -> int:
    found = company(s, Actor(resource_id=None))
    person(s, a, found)
    return found


def no_primary_contact(s: Services, a: Actor) -> int:
    found = company(s, a)
    person(s, a, found, primaryContact=False)
    return found


def no_primary_location(s: Services, a: Actor) -> int:
    return raw_insert(s, COMPANY, {"companyName": "Bare", "companyType": 1, "isActive": True})


def several_primaries(s: Services, a: Actor) -> int:
    found = company(s, a)
    person(s, a, found)
    raw_insert(s, COMPANY_LOCATION, {"companyID": found, "name": "Second", "isPrimary": True})
    return found


def former_client(s: Services, a: Actor) -> int:
    return person(s, a, company(s, a, companyType=4))


def invalid_email(s: Services, a: Actor) -> int:
    found = company(s, a)
    values = {"companyID": found, "firstName": "Bo", "lastName": "Li", "isActive": 1,
              "emailAddress": "bo@@globex", "primaryContact": True}  # fmt: skip
    return raw_insert(s, CONTACT, values)


def free_mail(s: Services, a: Actor) -> int:
    return person(s, a, company(s, a), emailAddress="ann.lee@gmail.com")


def bad_phone(s: Services, a: Actor) -> int:
    return person(s, a, company(s, a), phone="12")


def past_close(s: Services, a: Actor) -> int:
    found = company(s, a)
    person(s, a, found)
    deal = {"companyID": found, "title": "Old deal", "status": 1,
            "projectedCloseDate": "2020-01-31"}  # fmt: skip
    return make(s, "Opportunity", deal, a)


def duplicate_pair(s: Services, a: Actor) -> int:
    first = company(s, a, "Acme Dental LLC", webAddress="https://acmedental.example")
    company(s, a, "Acme Dental", webAddress="acmedental.example", phone="+1 217 555 0100")
    return first


def whitespace(s: Services, a: Actor) -> int:
    return person(s, a, company(s, a), firstName=" Ann ")


def all_caps(s: Services, a: Actor) -> int:
    return company(s, a, "GLOBEX CORPORATION")


def legal_suffix(s: Services, a: Actor) -> int:
    return company(s, a, "Globex, llc")


FIXTURES: dict[str, Callable[[Services, Actor], int]] = {
    "company.no-account-manager": no_account_manager,
    "company.no-primary-contact": no_primary_contact,
    "company.no-primary-location": no_primary_location,
    "company.several-primaries": several_primaries,
    "contact.active-at-former-client": former_client,
    "contact.invalid-email": invalid_email,
    "contact.free-mail": free_mail,
    "phone.unparseable": bad_phone,
    "opportunity.past-close": past_close,
    "duplicates.cluster": duplicate_pair,
    "naming.whitespace": whitespace,
    "naming.all-caps": all_caps,
    "naming.legal-suffix": legal_suffix,
}


def test_every_rule_has_a_fixture() -> None:
    assert set(FIXTURES) == set(RULES)


@pytest.mark.parametrize("rule", sorted(FIXTURES))
def test_each_rule_fires_on_its_fixture(services: Services, actor: Actor, rule: str) -> None:
    record_id = FIXTURES[rule](services, actor)
    found = workflows_for(services).audit.run()["findings"]
    mine = [f for f in found if f["rule"] == rule]
    assert [f["id"] for f in mine] == [record_id], found
    assert mine[0]["fix"] and mine[0]["message"] and mine[0]["severity"] == RULES[rule][0]


def test_clean_data_has_no_findings(services: Services, actor: Actor) -> None:
    document = orjson.loads(orjson.dumps(template()))
    workflows_for(services).onboarding.onboard(document, actor)
    assert workflows_for(services).audit.run()["findings"] == []


def test_api_filters_rules_and_counts(client: TestClient, services: Services, actor: Actor) -> None:
    bad_phone(services, actor)
    all_caps(services, actor)
    answer = client.get("/api/v1/audit?rules=phone.unparseable&duplicates=false").json()
    assert [f["rule"] for f in answer["findings"]] == ["phone.unparseable"]
    assert answer["counts"] == {"info": 0, "warning": 1, "error": 0}
    unknown = client.get("/api/v1/audit?rules=nope")
    assert unknown.status_code == 400 and "nope" in unknown.json()["errors"][0]
