"""Contact lifecycle and roles; account transfer with a dry run."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from mspcrm.errors import ConflictError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.workflows import workflows_for

AT = "/ATServicesRest/V1.0"


def make(services: Services, entity: str, body: dict[str, Any], actor: Actor) -> int:
    return services.records.create(services.registry.by_name(entity), body, actor)


def get(services: Services, entity: str, record_id: int) -> dict[str, Any]:
    found = services.records.get(services.registry.by_name(entity), record_id)
    assert found is not None
    return found


@pytest.fixture
def people(services: Services, actor: Actor) -> dict[str, int]:
    company = make(services, "Company", {"companyName": "Globex", "companyType": 1}, actor)
    other = make(services, "Company", {"companyName": "Initech", "companyType": 1}, actor)
    boss = make(
        services,
        "Contact",
        {
            "companyID": company,
            "firstName": "Hank",
            "lastName": "Scorpio",
            "emailAddress": "hank@globex.example",
            "primaryContact": True,
        },
        actor,
    )
    deputy = make(
        services,
        "Contact",
        {"companyID": company, "firstName": "Frank", "lastName": "Grimes",
         "emailAddress": "frank@globex.example"},
        actor,
    )  # fmt: skip
    lifecycle = workflows_for(services).contacts
    lifecycle.update_roles(boss, actor, add=["Authorizes work", "Billing contact"])
    return {"company": company, "other": other, "boss": boss, "deputy": deputy}


def test_deactivating_a_primary_contact_needs_a_successor(
    services: Services, actor: Actor, people: dict[str, int]
) -> None:
    lifecycle = workflows_for(services).contacts
    with pytest.raises(ConflictError, match="successor"):
        lifecycle.deactivate(people["boss"], actor)
    assert get(services, "Contact", people["boss"])["isActive"] == 1
    done = lifecycle.deactivate(people["boss"], actor, successor_id=people["deputy"])
    assert done["primaryHandedOver"] and sorted(done["rolesHandedOver"]) == [1, 3]
    boss, deputy = (
        get(services, "Contact", people["boss"]),
        get(services, "Contact", people["deputy"]),
    )
    assert boss["isActive"] == 0 and boss["primaryContact"] is False
    assert deputy["primaryContact"] is True
    listed = lifecycle.company_contacts(people["company"])["items"]
    assert {p["id"]: p["roles"] for p in listed} == {
        people["boss"]: [],
        people["deputy"]: ["Authorizes work", "Billing contact"],
    }


def test_force_deactivates_without_a_successor(
    services: Services, actor: Actor, people: dict[str, int]
) -> None:
    done = workflows_for(services).contacts.deactivate(people["boss"], actor, force=True)
    assert done["companyHasPrimary"] is False
    assert get(services, "Contact", people["boss"])["primaryContact"] is False


def test_move_clears_location_and_primary_roles_follow_and_is_audited(
    services: Services, actor: Actor, people: dict[str, int]
) -> None:
    lifecycle = workflows_for(services).contacts
    moved = lifecycle.move(people["boss"], people["other"], actor)
    assert moved["fromCompanyID"] == people["company"] and moved["wasPrimary"]
    boss = get(services, "Contact", people["boss"])
    assert boss["companyID"] == people["other"] and boss["primaryContact"] is False
    assert boss["companyLocationID"] is None
    roles = lifecycle.company_contacts(people["other"])["items"][0]["roles"]
    assert roles == ["Authorizes work", "Billing contact"]
    entries = services.records.record_history(services.registry.by_name("Contact"), people["boss"])
    assert entries[-1]["changes"]["companyID"] == [people["company"], people["other"]]
    assert entries[-1]["channel"] == "cli"


def test_roles_are_queryable_data_through_every_surface(
    client: TestClient, services: Services, actor: Actor, people: dict[str, int]
) -> None:
    boss = people["boss"]
    answer = client.post(
        f"/api/v1/Contacts/{boss}/roles",
        json={"add": ["Technical contact"], "remove": ["Billing contact"], "title": "CEO"},
    )
    assert answer.status_code == 200, answer.text
    assert [r["label"] for r in answer.json()["roles"]] == ["Authorizes work", "Technical contact"]
    assert get(services, "Contact", boss)["title"] == "CEO"
    child = client.get(f"{AT}/Contacts/{boss}/Roles")
    assert child.status_code == 200, child.text
    assert sorted(i["role"] for i in child.json()["items"]) == [1, 2]
    authorizers = client.post(
        f"{AT}/ContactRoles/query",
        json={"filter": [{"op": "eq", "field": "companyID", "value": people["company"]},
                         {"op": "eq", "field": "role", "value": 1}]},
    ).json()["items"]  # fmt: skip
    assert [r["contactID"] for r in authorizers] == [boss]
    twice = client.post(f"{AT}/ContactRoles", json={"contactID": boss, "role": 1})
    assert twice.status_code == 409
    bad = client.post(f"/api/v1/Contacts/{boss}/roles", json={"add": ["Astronaut"]})
    assert bad.status_code == 400 and "Astronaut" in bad.json()["errors"][0]
    listed = client.get(f"/api/v1/Companies/{people['company']}/contacts").json()["items"]
    assert listed[0]["roles"] == ["Authorizes work", "Technical contact"]


def test_deleting_a_contact_removes_its_roles(client: TestClient, people: dict[str, int]) -> None:
    deleted = client.delete(f"{AT}/Contacts/{people['boss']}")
    assert deleted.status_code == 200, deleted.text
    left = client.post(f"{AT}/ContactRoles/query", json={"filter": []}).json()["items"]
    assert left == []


def test_transfer_moves_ownership_with_a_dry_run_and_history(
    services: Services, actor: Actor, client: TestClient
) -> None:
    old = actor.resource_id
    new, _ = services.admin.create_resource("Bea", "Ng", "bea@msp.example")
    ids = [
        make(services, "Company", {"companyName": f"Client {n}", "companyType": t}, actor)
        for n, t in ((1, 1), (2, 1), (3, 3))
    ]
    opportunity = make(
        services,
        "Opportunity",
        {"companyID": ids[0], "title": "Renewal", "projectedCloseDate": "2030-01-01",
         "amount": 100, "probability": 50, "status": 1},
        actor,
    )  # fmt: skip
    body = {"fromResourceID": old, "toResourceID": new, "dryRun": True, "opportunities": True}
    plan = client.post("/api/v1/Companies/transfer", json=body).json()
    assert plan["counts"] == {"companies": 3, "opportunities": 1}
    assert get(services, "Company", ids[0])["ownerResourceID"] == old
    customers = [{"op": "eq", "field": "companyType", "value": 1}]
    done = client.post(
        "/api/v1/Companies/transfer", json={**body, "dryRun": False, "filter": customers}
    ).json()
    assert [c["id"] for c in done["companies"]] == ids[:2]
    assert [get(services, "Company", i)["ownerResourceID"] for i in ids] == [new, new, old]
    assert get(services, "Opportunity", opportunity)["ownerResourceID"] == new
    history = services.records.record_history(services.registry.by_name("Company"), ids[0])
    assert history[-1]["changes"] == {
        "ownerResourceID": [old, new],
        **{k: v for k, v in history[-1]["changes"].items() if k != "ownerResourceID"},
    }
    missing = client.post("/api/v1/Companies/transfer", json={**body, "toResourceID": 999})
    assert missing.status_code == 404
