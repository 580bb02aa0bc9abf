"""Reversible merge of companies and contacts, on both engines."""

from __future__ import annotations

from typing import Any

import pytest

from mspcrm.errors import ConflictError, NotFoundError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services

STAMPS = ("lastActivityDate", "lastTrackedModifiedDateTime", "lastModifiedDate", "lastActivity")


@pytest.fixture
def actor(services: Services) -> Actor:
    """The resource the merges in these tests are attributed to."""
    resource_id, _ = services.admin.create_resource("Merge", "Operator", "ops@msp.example")
    return Actor(resource_id=resource_id, channel="cli")


def create(services: Services, actor: Actor, entity: str, body: dict[str, Any]) -> int:
    return services.records.create(services.registry.by_name(entity), body, actor)


def snapshot(services: Services) -> dict[str, list[dict[str, Any]]]:
    """Every company, contact, location and opportunity, without modification stamps."""
    out = {}
    for name in ("Company", "Contact", "CompanyLocation", "Opportunity"):
        page = services.records.query(services.registry.by_name(name), {"filter": []})
        out[name] = [{k: v for k, v in item.items() if k not in STAMPS} for item in page.items]
    return out


@pytest.fixture
def pair(services: Services, actor: Actor) -> dict[str, int]:
    keep = create(
        services,
        actor,
        "Company",
        {"companyName": "Acme Inc", "companyType": 1, "city": "Springfield"},
    )
    other = create(
        services,
        actor,
        "Company",
        {
            "companyName": "ACME Incorporated",
            "companyType": 1,
            "phone": "555-123-4567",
            "webAddress": "acme.example",
            "address1": "1 Main St",
        },
    )
    child = create(
        services,
        actor,
        "Company",
        {"companyName": "Acme West", "companyType": 1, "parentCompanyID": other},
    )
    kept_contact = create(
        services,
        actor,
        "Contact",
        {
            "companyID": keep,
            "firstName": "Ann",
            "lastName": "Lee",
            "emailAddress": "ann@acme.example",
            "primaryContact": True,
        },
    )
    moved_contact = create(
        services,
        actor,
        "Contact",
        {
            "companyID": other,
            "firstName": "Bob",
            "lastName": "Roe",
            "emailAddress": "bob@acme.example",
            "primaryContact": True,
        },
    )
    deal = create(
        services,
        actor,
        "Opportunity",
        {
            "companyID": other,
            "title": "Renewal",
            "projectedCloseDate": "2027-01-01",
            "contactID": moved_contact,
        },
    )
    return {
        "keep": keep,
        "other": other,
        "child": child,
        "kept_contact": kept_contact,
        "moved_contact": moved_contact,
        "deal": deal,
    }


def test_plan_lists_fills_moves_and_retirement(
    services: Services, actor: Actor, pair: dict[str, int]
) -> None:
    plan = services.merges.plan("Company", pair["keep"], pair["other"]).to_wire()
    fills = {f["field"]: f["after"] for f in plan["fills"]}
    assert fills == {"phone": "555-123-4567", "webAddress": "acme.example", "address1": "1 Main St"}
    moved = {(m["entity"], m["id"], m["field"]) for m in plan["moves"]}
    assert ("Contact", pair["moved_contact"], "companyID") in moved
    assert ("Contact", pair["moved_contact"], "primaryContact") in moved  # keep has a primary
    assert ("Opportunity", pair["deal"], "companyID") in moved
    assert ("Company", pair["child"], "parentCompanyID") in moved
    assert any(
        m["entity"] == "CompanyLocation" and m["field"] == "isPrimary" for m in plan["moves"]
    )
    assert {r["field"] for r in plan["retire"]} == {"companyName", "isActive"}
    assert len(plan["fingerprint"]) == 16


def test_merge_then_undo_restores_everything(
    services: Services, actor: Actor, pair: dict[str, int]
) -> None:
    before = snapshot(services)
    plan = services.merges.plan("Company", pair["keep"], pair["other"])
    merge_id, _ = services.merges.merge(
        "Company", pair["keep"], pair["other"], actor, fingerprint=plan.fingerprint
    )
    company = services.registry.by_name("Company")
    keep = services.records.get(company, pair["keep"])
    other = services.records.get(company, pair["other"])
    assert keep is not None and other is not None
    assert keep["phone"] == "555-123-4567" and keep["city"] == "Springfield"
    assert other["isActive"] is False and other["companyName"].endswith(
        f"[merged into {pair['keep']}]"
    )
    contacts = services.records.children(
        company, pair["keep"], services.registry.by_name("Contact")
    )
    assert {c["id"] for c in contacts.items} == {pair["kept_contact"], pair["moved_contact"]}
    assert sum(c["primaryContact"] for c in contacts.items) == 1
    locations = services.records.children(
        company, pair["keep"], services.registry.by_name("CompanyLocation")
    )
    assert sum(loc["isPrimary"] for loc in locations.items) == 1 and len(locations.items) == 2
    history = services.records.record_history(company, pair["keep"])
    assert history[-1]["context"] == f"merge {merge_id}"
    assert services.merges.undo(merge_id, actor)["restored"] > 0
    assert snapshot(services) == before
    with pytest.raises(ConflictError, match="already undone"):
        services.merges.undo(merge_id, actor)


def test_undo_refuses_when_records_changed_since(
    services: Services, actor: Actor, pair: dict[str, int]
) -> None:
    merge_id, _ = services.merges.merge("Company", pair["keep"], pair["other"], actor)
    contact = services.registry.by_name("Contact")
    services.records.update(
        contact, {"id": pair["moved_contact"], "companyID": pair["child"]}, actor
    )
    with pytest.raises(ConflictError) as refused:
        services.merges.undo(merge_id, actor)
    assert any(
        f"Contact {pair['moved_contact']} companyID is now" in e for e in refused.value.errors
    )


def test_stale_fingerprint_is_refused(
    services: Services, actor: Actor, pair: dict[str, int]
) -> None:
    plan = services.merges.plan("Company", pair["keep"], pair["other"])
    company = services.registry.by_name("Company")
    services.records.update(company, {"id": pair["keep"], "phone": "555-000-0000"}, actor)
    with pytest.raises(ConflictError, match="plan the merge again"):
        services.merges.merge(
            "Company", pair["keep"], pair["other"], actor, fingerprint=plan.fingerprint
        )
    assert services.records.get(company, pair["other"])["isActive"] is True  # type: ignore[index]


def test_merging_a_parent_into_its_child_keeps_the_tree_sound(
    services: Services, actor: Actor, pair: dict[str, int]
) -> None:
    services.merges.merge("Company", pair["child"], pair["other"], actor)
    company = services.registry.by_name("Company")
    child = services.records.get(company, pair["child"])
    assert child is not None and child["parentCompanyID"] is None


@pytest.mark.parametrize(
    "keep, other, error",
    [(1, 1, ValidationError), (1, 0, ValidationError), (1, 999999, NotFoundError)],
)
def test_bad_merges_are_refused(
    services: Services,
    actor: Actor,
    pair: dict[str, int],
    keep: int,
    other: int,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        services.merges.plan("Company", keep, other)
    with pytest.raises(ValidationError, match="cannot be merged"):
        services.merges.plan("Opportunity", 1, 2)


def test_contact_merge_moves_opportunities_and_deactivates(
    services: Services, actor: Actor, pair: dict[str, int]
) -> None:
    twin = create(
        services,
        actor,
        "Contact",
        {"companyID": pair["other"], "firstName": "Robert", "lastName": "Roe", "phone": "555-1"},
    )
    merge_id, _ = services.merges.merge("Contact", twin, pair["moved_contact"], actor)
    contact = services.registry.by_name("Contact")
    kept = services.records.get(contact, twin)
    gone = services.records.get(contact, pair["moved_contact"])
    assert kept is not None and gone is not None
    assert kept["emailAddress"] == "bob@acme.example" and gone["isActive"] == 0
    deal = services.records.get(services.registry.by_name("Opportunity"), pair["deal"])
    assert deal is not None and deal["contactID"] == twin
    services.merges.undo(merge_id, actor)
    assert services.records.get(contact, pair["moved_contact"])["isActive"] == 1  # type: ignore[index]
