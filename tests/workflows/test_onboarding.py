"""Onboarding: one transaction, idempotent, grows, stops on duplicates, names the failing step."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from mspcrm.domain.onboarding_template import TEMPLATE
from mspcrm.errors import ConflictError, MspcrmError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.workflows import workflows_for
from tests.workflows.conftest import counts, template

DOCS = Path(__file__).resolve().parents[2] / "docs" / "onboarding-template.yaml"


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(template()))
    return loaded


def onboard(services: Services, actor: Actor, doc: Any, **options: Any) -> dict[str, Any]:
    return workflows_for(services).onboarding.onboard(doc, actor, **options)


def test_the_docs_template_is_the_printed_one() -> None:
    assert DOCS.read_text(encoding="utf-8") == TEMPLATE


def test_onboard_creates_everything_once_then_nothing_to_do(
    services: Services, actor: Actor
) -> None:
    before = counts(services)
    done = onboard(services, actor, document())
    after = counts(services)
    assert done["changed"] and done["summary"] == {"create": 12, "update": 0, "unchanged": 0}
    grown = {k: after[k] - before[k] for k in after}
    assert grown == {
        "Company": 1,
        "Contact": 2,
        "CompanyLocation": 2,
        "Contract": 1,
        "CompanyNote": 2,
        "ContactRole": 4,
    }
    company = services.records.get(services.registry.by_name("Company"), done["companyID"])
    assert company is not None
    assert company["companyType"] == 1 and company["ownerResourceID"] == actor.resource_id
    assert company["invoiceTemplateID"] == 30 and company["taxID"] == "12-3456789"
    again = onboard(services, actor, document())
    assert again["message"].startswith("Nothing to do")
    assert not again["changed"] and again["summary"]["unchanged"] == 12
    assert counts(services) == after


def test_sites_have_exactly_one_primary_and_contract_links(
    services: Services, actor: Actor
) -> None:
    done = onboard(services, actor, document())
    sites = services.records.query(
        services.registry.by_name("CompanyLocation"),
        {"filter": [{"op": "eq", "field": "companyID", "value": done["companyID"]}]},
    ).items
    assert sorted((s["name"], s["isPrimary"]) for s in sites) == [
        ("Head Office", True),
        ("North Clinic", False),
    ]
    contract_step = next(s for s in done["steps"] if s["step"] == "contract")
    contract = services.records.get(services.registry.by_name("Contract"), contract_step["id"])
    primary = next(s for s in done["steps"] if s["step"] == "contact")
    assert contract is not None and contract["contactID"] == primary["id"]
    assert contract["serviceLevelAgreementID"] == 2  # "Premium (24x7)" by label


def test_a_grown_file_adds_only_the_new_site(services: Services, actor: Actor) -> None:
    onboard(services, actor, document())
    before = counts(services)
    doc = document()
    doc["sites"].append({"name": "South Clinic", "city": "Springfield"})
    plan = onboard(services, actor, doc, dry_run=True)
    assert [(s["step"], s["key"]) for s in plan["steps"] if s["action"] != "unchanged"] == [
        ("site", "South Clinic")
    ]
    assert counts(services) == before
    done = onboard(services, actor, doc, expected_fingerprint=plan["fingerprint"])
    assert done["summary"] == {"create": 1, "update": 0, "unchanged": 12}
    assert counts(services) == {**before, "CompanyLocation": before["CompanyLocation"] + 1}


def test_a_changed_field_is_an_update(services: Services, actor: Actor) -> None:
    onboard(services, actor, document())
    doc = document()
    doc["contact"]["title"] = "Owner"
    done = onboard(services, actor, doc)
    changed = [s for s in done["steps"] if s["action"] == "update"]
    assert [(s["step"], s["changes"]) for s in changed] == [
        ("contact", {"title": ["Practice Manager", "Owner"]})
    ]


def test_a_stale_fingerprint_is_refused(services: Services, actor: Actor) -> None:
    plan = onboard(services, actor, document(), dry_run=True)
    doc = document()
    doc["notes"].append({"title": "Extra", "description": "x"})
    with pytest.raises(ConflictError, match="plan changed"):
        onboard(services, actor, doc, expected_fingerprint=plan["fingerprint"])


def _break(doc: dict[str, Any], step: str) -> str:
    if step == "company":
        doc["company"]["companyType"] = "Alien"
        return "step company"
    if step == "contact":
        doc["contacts"][0]["emailAddress"] = "not-an-email"
        return "step contact 'not-an-email': Invalid email format"
    if step == "sites":
        doc["sites"][1]["primary"] = True
        return "step sites: exactly one site"
    if step == "site":
        doc["sites"][1]["noSuchField"] = 1
        return "step site 'North Clinic'"
    if step == "contract":
        doc["contract"]["endDate"] = "2025-01-01"  # before the start: refused while writing
        return "step contract 'Acme Dental - Managed Services': Invalid endDate"
    if step == "note":
        doc["notes"][1]["description"] = ""
        return "step note 'Onboarding call'"
    doc["contact"]["roles"].append("Astronaut")
    return "step role"


@pytest.mark.parametrize(
    "step", ["company", "contact", "sites", "site", "contract", "note", "role"]
)
def test_failure_at_each_step_leaves_nothing(services: Services, actor: Actor, step: str) -> None:
    doc = document()
    expected = _break(doc, step)
    before = counts(services)
    with pytest.raises(MspcrmError) as failure:
        onboard(services, actor, doc)
    assert expected in str(failure.value)
    assert counts(services) == before


def test_the_duplicate_check_stops_on_a_likely_existing_client(
    services: Services, actor: Actor
) -> None:
    company = services.registry.by_name("Company")
    existing = services.records.create(
        company,
        {
            "companyName": "Acme Dental Group",
            "companyType": 3,
            "webAddress": "https://acmedental.example",
            "phone": "+1 217 555 0100",
        },
        actor,
    )
    before = counts(services)
    with pytest.raises(ConflictError, match=f"company {existing}"):
        onboard(services, actor, document())
    assert counts(services) == before
    doc = document()
    doc["useExisting"] = existing
    done = onboard(services, actor, doc)
    assert done["companyID"] == existing
    assert done["steps"][0]["action"] == "update"
    assert done["steps"][0]["changes"]["companyType"] == [3, 1]  # the prospect is a Customer now


def test_an_unknown_section_is_named() -> None:
    from mspcrm.domain.onboarding import read_document

    with pytest.raises(ValidationError, match="unknown section"):
        read_document({"company": {"companyName": "X"}, "sitez": []})


def test_api_and_sdk_give_the_same_plan(services: Services, client: TestClient) -> None:
    services.admin.create_resource("Ann", "Lee", "ann.lee@msp.example")
    doc = document()
    first = client.post("/api/v1/onboarding", json={"document": doc, "dryRun": True})
    assert first.status_code == 200, first.text
    assert first.json()["summary"]["create"] == 12
    done = client.post("/api/v1/onboarding", json={"document": doc}).json()
    assert done["companyID"] and done["changed"]
    again = client.post("/api/v1/onboarding", json={"document": copy.deepcopy(doc)}).json()
    assert not again["changed"]
    bad = copy.deepcopy(doc)
    bad["contact"]["emailAddress"] = "broken@"
    refused = client.post("/api/v1/onboarding", json={"document": bad})
    assert refused.status_code == 400
    assert refused.json()["errors"][0].startswith("step contact 'broken@'")
    assert client.get("/api/v1/onboarding/template").json()["template"] == TEMPLATE
