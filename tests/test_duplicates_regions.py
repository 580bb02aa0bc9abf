"""International matching in the running system, on both engines: the installation's default
region, phones read in each record's country, the demo's related companies, and an inactive
contact that stops being primary."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from mspcrm.cli.main import cli
from mspcrm.errors import ValidationError
from mspcrm.services.audit import AuditService
from mspcrm.services.crm import Services
from mspcrm.services.demo import load_demo
from mspcrm.services.settings import SettingsService
from mspcrm.store import match_keys

BASE = "/ATServicesRest/V1.0"
LONDON = "020 7946 0018"


def _create(services: Services, entity: str, body: dict[str, Any]) -> int:
    return services.records.create(services.registry.by_name(entity), body, _actor(services))


def _actor(services: Services) -> Any:
    from mspcrm.services.context import Actor

    return Actor(resource_id=None, channel="system")


def _settings(services: Services) -> SettingsService:
    return SettingsService(services.db, services.duplicates)


def _phone_keys(services: Services, entity: str, record_id: int) -> set[str]:
    with services.db.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT key FROM match_keys WHERE entity = %s AND record_id = %s"
            if services.db.dialect != "sqlite"
            else "SELECT key FROM match_keys WHERE entity = ? AND record_id = ?",
            (entity, record_id),
        ).fetchall()
    return {str(r[0]) for r in rows if str(r[0]).startswith("phone:")}


# --- the default region ------------------------------------------------------------------


def test_default_region_is_us_until_set_and_checked(services: Services) -> None:
    settings = _settings(services)
    assert settings.get("default-region") == "US"
    assert settings.show()[0]["isDefault"] is True
    with pytest.raises(ValidationError, match="not an ISO 3166 country code"):
        settings.set("default-region", "UK")
    with pytest.raises(ValidationError, match="Unknown setting"):
        settings.set("currency", "GBP")
    assert settings.set("default-region", "gb")["value"] == "GB"
    assert settings.show()[0] | {"description": ""} == {
        "name": "default-region",
        "value": "GB",
        "isDefault": False,
        "description": "",
    }


def test_setting_the_region_recomputes_phone_keys(services: Services) -> None:
    company = _create(
        services,
        "Company",
        {"companyName": "Thames Data", "companyType": 1, "phone": "020 7946 0018"},
    )
    assert _phone_keys(services, "Company", company) == set()  # not a US number
    done = _settings(services).set("default-region", "GB")
    assert done["reindexed"]["Company"] >= 1
    assert _phone_keys(services, "Company", company) == {"phone:9460018"}
    check = services.duplicates.check(
        "Company", {"companyName": "Thames Data Ltd", "phone": "+44 20 7946 0018"}
    )
    assert check.verdict == "matched"
    assert {"name_exact_key", "phone"} <= set(check.matches[0].signals)


def test_the_settings_command(db_url: str) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["settings", "set", "default-region", "DE", "--database", db_url])
    assert done.exit_code == 0, done.output
    assert "default-region: DE" in done.output
    shown = runner.invoke(cli, ["settings", "show", "--json", "--database", db_url])
    assert '"value":"DE"' in shown.output
    bad = runner.invoke(cli, ["settings", "set", "default-region", "XX", "--database", db_url])
    assert bad.exit_code == 2 and "not an ISO 3166 country code" in bad.output


# --- records' own countries --------------------------------------------------------------


def test_a_contacts_phone_is_read_in_its_companys_country(services: Services) -> None:
    berlin = _create(
        services, "Company", {"companyName": "Spree Daten", "companyType": 1, "countryID": 276}
    )
    contact = _create(
        services,
        "Contact",
        {
            "companyID": berlin,
            "firstName": "Jürgen",
            "lastName": "Müller",
            "mobilePhone": "0171 1234567",
            "isActive": 1,
        },
    )
    assert _phone_keys(services, "Contact", contact) == {"phone:1234567"}
    check = services.duplicates.check(
        "Contact",
        {
            "companyID": berlin,
            "firstName": "Juergen",
            "lastName": "Mueller",
            "mobilePhone": "+49 171 1234567",
        },
    )
    assert check.verdict == "matched"
    assert check.matches[0].existing_id == contact
    assert {"person_name_same_company", "mobile_phone"} <= set(check.matches[0].signals)
    pairs = services.duplicates.scan_pairs("Contact", include_ambiguous=True)
    assert pairs == []  # one contact: nothing to pair


def test_a_companys_new_country_reaches_its_contacts_keys(services: Services) -> None:
    company = _create(services, "Company", {"companyName": "Moving Co", "companyType": 1})
    contact = _create(
        services,
        "Contact",
        {"companyID": company, "firstName": "Ann", "lastName": "Lee", "phone": LONDON},
    )
    assert _phone_keys(services, "Contact", contact) == set()  # read as a US number
    entity = services.registry.by_name("Company")
    services.records.update(entity, {"id": company, "countryID": 826}, _actor(services))
    assert _phone_keys(services, "Contact", contact) == {"phone:9460018"}


def test_bob_and_robert_at_one_company_are_found_by_check_and_scan(services: Services) -> None:
    acme = _create(services, "Company", {"companyName": "Nick Names Inc", "companyType": 1})
    robert = _create(
        services,
        "Contact",
        {"companyID": acme, "firstName": "Robert", "lastName": "Smith", "isActive": 1},
    )
    check = services.duplicates.check(
        "Contact", {"companyID": acme, "firstName": "Bob", "lastName": "Smith"}
    )
    assert check.verdict == "ambiguous"
    assert check.matches[0].existing_id == robert
    assert check.matches[0].signals == ("person_nickname_same_company",)
    bob = _create(
        services,
        "Contact",
        {"companyID": acme, "firstName": "Bob", "lastName": "Smith", "isActive": 1},
    )
    pairs = services.duplicates.scan_pairs("Contact", include_ambiguous=True)
    assert [(p.left_id, p.right_id) for p in pairs] == [(robert, bob)]


def test_the_audit_reads_phones_in_the_records_country(services: Services) -> None:
    uk = _create(
        services,
        "Company",
        {
            "companyName": "Umbrella UK",
            "companyType": 1,
            "countryID": 826,
            "phone": "020 7946 0018",
        },
    )
    nowhere = _create(
        services,
        "Company",
        {"companyName": "Nowhere Ltd", "companyType": 1, "phone": "020 7946 0018"},
    )
    audit = AuditService(services.records, services.duplicates)
    flagged = {
        f["id"] for f in audit.run(rules=["phone.unparseable"], duplicates=False)["findings"]
    }
    assert nowhere in flagged and uk not in flagged
    _settings(services).set("default-region", "GB")
    flagged = {
        f["id"] for f in audit.run(rules=["phone.unparseable"], duplicates=False)["findings"]
    }
    assert nowhere not in flagged and uk not in flagged


# --- the demo ----------------------------------------------------------------------------


def test_the_demo_has_only_its_planted_duplicate_and_names_related_companies(
    services: Services,
) -> None:
    load_demo(services)
    assert _settings(services).get("default-region") == "US"
    company = services.registry.by_name("Company")
    with services.db.read() as conn:
        rows = match_keys.read_fields(
            conn, company, ("id", "companyName", "parentCompanyID"), list(range(1, 20))
        )
    ids = {r["companyName"]: r["id"] for r in rows}
    acme, west, globex = (
        ids["Acme Corporation"],
        ids["Acme Corporation - West"],
        ids["Globex Health"],
    )
    # the scan clustered Acme with its own child at 100, and the audit suggested a merge
    for ambiguous in (False, True):
        clusters = services.duplicates.scan("Company", include_ambiguous=ambiguous)
        assert not any({acme, west} <= set(c.ids) for c in clusters)
    findings = AuditService(services.records, services.duplicates).run(rules=["duplicates.cluster"])
    # the one duplicate is the one the demo plants for `mspcrm merge companies 4 7`
    flagged = {f["id"] for f in findings["findings"]}
    assert flagged <= {ids["Initech LLC"], ids["Initech"]} and flagged
    # a child under its parent is not the parent's duplicate, and the check says why
    east = services.duplicates.check(
        "Company",
        {
            "companyName": "Globex Health - East",
            "companyType": 1,
            "parentCompanyID": globex,
            "phone": "555-400-1000",
        },
    )
    assert east.verdict == "unmatched"
    parent = east.matches[0]
    assert parent.existing_id == globex and parent.score == 40.0
    details = {e.signal: e.detail for e in parent.evidence}
    assert details["parent_company"].startswith(f"company {globex} is the parent of the candidate")
    assert details["different_company_type"] == "Customer vs Prospect"
    # the same name without the parent is still a duplicate, its type difference named
    same = services.duplicates.check("Company", {"companyName": "Globex Health", "companyType": 1})
    assert same.verdict == "matched"
    assert "different_company_type" in same.matches[0].signals
    # the UK company's number is read as a UK number
    umbrella = ids["Umbrella Supplies"]
    assert _phone_keys(services, "Company", umbrella) == {"phone:9460018"}


def test_creating_a_child_under_its_parent_is_not_refused(db_url: str) -> None:
    def run(*args: str) -> Any:
        return CliRunner().invoke(
            cli, [*args, "--database", db_url], catch_exceptions=False, env={"COLUMNS": "400"}
        )

    parent = run("companies", "create", "companyName=Globex Health", "companyType=3",
                 "phone=555-400-1000", "--json")  # fmt: skip
    assert parent.exit_code == 0, parent.output
    parent_id = json.loads(parent.output)["itemId"]
    child = run("companies", "create", "companyName=Globex Health - East", "companyType=1",
                "phone=555-400-1000", f"parentCompanyID={parent_id}", "--json")  # fmt: skip
    assert child.exit_code == 0, child.output
    again = run("companies", "create", "companyName=Globex Health", "companyType=1")
    assert again.exit_code == 4
    assert "different_company_type (Customer vs Prospect)" in again.output


# --- an inactive contact is not primary --------------------------------------------------


def _contact(client: TestClient, company: int, **extra: Any) -> int:
    body = {"companyID": company, "firstName": "Pat", "lastName": "Primary", "isActive": 1}
    response = client.post(f"{BASE}/Contacts", json={**body, **extra})
    assert response.status_code == 200, response.text
    return int(response.json()["itemId"])


def _company(client: TestClient) -> int:
    response = client.post(
        f"{BASE}/Companies", json={"companyName": "Primary Co", "companyType": 1}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["itemId"])


def _get(client: TestClient, contact: int) -> dict[str, Any]:
    item: dict[str, Any] = client.get(f"{BASE}/Contacts/{contact}").json()["item"]
    return item


def test_a_patch_that_deactivates_the_primary_contact_clears_the_flag(client: TestClient) -> None:
    company = _company(client)
    contact = _contact(client, company, primaryContact=True)
    assert _get(client, contact)["primaryContact"] is True
    response = client.patch(f"{BASE}/Contacts", json={"id": contact, "isActive": 0})
    assert response.status_code == 200, response.text
    after = _get(client, contact)
    assert (after["isActive"], after["primaryContact"]) == (0, False)


def test_a_put_or_a_create_of_an_inactive_primary_contact_clears_the_flag(
    client: TestClient,
) -> None:
    company = _company(client)
    created = _contact(client, company, isActive=0, primaryContact=True)
    assert _get(client, created)["primaryContact"] is False
    active = _contact(client, company, lastName="Other", primaryContact=True)
    body = {**_get(client, active), "isActive": 0}
    body.pop("userDefinedFields", None)
    response = client.put(f"{BASE}/Contacts", json=body)
    assert response.status_code == 200, response.text
    assert _get(client, active)["primaryContact"] is False


def test_an_active_primary_contact_keeps_its_flag(client: TestClient) -> None:
    company = _company(client)
    contact = _contact(client, company, primaryContact=True)
    client.patch(f"{BASE}/Contacts", json={"id": contact, "title": "CEO"})
    assert _get(client, contact)["primaryContact"] is True


def test_the_client_side_check_reads_a_contacts_phone_in_its_companys_country(
    db_url: str,
) -> None:
    from mspcrm.domain.entities import CONTACT
    from mspcrm.duplicate_lookup import check_by_queries
    from mspcrm.targets import open_target

    with open_target(database=db_url) as target:
        berlin = target.client.companies.create(
            {"companyName": "Spree Daten", "companyType": 1, "countryID": 276}
        )
        contact = target.client.companies.children(berlin, "Contacts").create(
            {"firstName": "Jürgen", "lastName": "Müller", "mobilePhone": "0171 1234567"}
        )
        body = {
            "companyID": berlin,
            "firstName": "Juergen",
            "lastName": "Müller",
            "mobilePhone": "+49 171 1234567",
        }
        local = check_by_queries(target.client, CONTACT, body)
        server = target.client.native.duplicates_check("Contacts", body)
    assert local["verdict"] == server["verdict"] == "matched"
    assert local["matches"][0]["id"] == contact
    assert "mobile_phone" in {e["signal"] for e in local["matches"][0]["evidence"]}
