"""A three-level company tree: tree, descendants and roll-up numbers; reports over it."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from mspcrm.services.context import Actor
from mspcrm.services.crm import Services


def make(services: Services, entity: str, body: dict[str, Any], actor: Actor) -> int:
    return services.records.create(services.registry.by_name(entity), body, actor)


@pytest.fixture
def tree(services: Services, actor: Actor) -> dict[str, int]:
    """Holding -> (East, West) -> East Clinic; numbers chosen so every sum is distinct."""

    def company(name: str, parent: int | None, kind: int = 1, **more: Any) -> int:
        body = {"companyName": name, "companyType": kind, "parentCompanyID": parent, **more}
        return make(services, "Company", body, actor)

    ids = {"holding": company("Holding", None, classification=1, territoryID=1)}
    ids["east"] = company("East", ids["holding"], classification=2, territoryID=1)
    ids["west"] = company("West", ids["holding"], kind=3, territoryID=2)
    ids["clinic"] = company("East Clinic", ids["east"], classification=2)
    ids["outsider"] = company("Outsider", None, kind=2)
    for n, where in enumerate(("holding", "east", "clinic", "clinic", "outsider")):
        person = {"companyID": ids[where], "firstName": f"P{n}", "lastName": "X",
                  "emailAddress": f"p{n}@x.example"}  # fmt: skip
        make(services, "Contact", person, actor)
    make(services, "CompanyLocation", {"companyID": ids["clinic"], "name": "Annex"}, actor)
    deals = [  # company, amount, probability, status, stage
        ("east", 1000, 50, 1, 1), ("clinic", 200, 10, 1, 3), ("clinic", 400, 100, 3, 5),
        ("west", 300, 0, 0, 1), ("outsider", 9999, 90, 1, 3),
    ]  # fmt: skip
    for where, amount, probability, status, stage in deals:
        make(services, "Opportunity", {"companyID": ids[where], "title": f"Deal {amount}",
             "amount": amount, "probability": probability, "status": status, "stage": stage,
             "projectedCloseDate": "2030-06-30"}, actor)  # fmt: skip
    contract = {"contractName": "MSA", "companyID": ids["clinic"], "endDate": "2030-12-31",
                "estimatedRevenue": 1200}  # fmt: skip
    make(services, "Contract", contract, actor)
    return ids


def test_tree_ancestors_and_descendants(client: TestClient, tree: dict[str, int]) -> None:
    found = client.get(f"/api/v1/Companies/{tree['east']}/tree").json()
    assert [a["companyName"] for a in found["ancestors"]] == ["Holding"]
    assert found["company"]["companyName"] == "East"
    assert [(d["companyName"], d["depth"]) for d in found["descendants"]] == [("East Clinic", 1)]
    below = client.get(f"/api/v1/companies/{tree['holding']}/descendants").json()["items"]
    assert [(d["companyName"], d["depth"]) for d in below] == [
        ("East", 1), ("West", 1), ("East Clinic", 2),
    ]  # fmt: skip
    shallow = client.get(f"/api/v1/Companies/{tree['holding']}/descendants?maxDepth=1").json()
    assert len(shallow["items"]) == 2
    assert client.get("/api/v1/Companies/9999/tree").status_code == 404


@pytest.mark.parametrize("raw", ["two", "1.5", str(2**63)])
def test_a_bad_integer_query_parameter_is_a_400_naming_it(
    client: TestClient, tree: dict[str, int], raw: str
) -> None:
    response = client.get(f"/api/v1/Companies/{tree['holding']}/descendants?maxDepth={raw}")
    assert response.status_code == 400, response.text
    assert "maxDepth" in response.json()["errors"][0]


def test_rollup_numbers_over_three_levels(client: TestClient, tree: dict[str, int]) -> None:
    rolled = client.get(f"/api/v1/Companies/{tree['holding']}/rollup").json()
    assert rolled["companies"] == 4
    # every company gets a primary location from its address; the clinic has an annex too
    assert rolled["totals"] == {
        "contacts": 4,
        "sites": 5,
        "openOpportunities": 3,
        "openAmount": 1500.0,
        "weightedAmount": 520.0,
        "contracts": 1,
        "contractRevenue": 1200.0,
    }
    east = client.get(f"/api/v1/Companies/{tree['east']}/rollup").json()["totals"]
    assert (east["contacts"], east["openOpportunities"], east["openAmount"]) == (3, 2, 1200.0)


def test_company_report_by_type_and_rollup(client: TestClient, tree: dict[str, int]) -> None:
    by_type = client.get("/api/v1/reports/companies?by=type").json()
    counts = {r["label"]: r["count"] for r in by_type["rows"]}
    assert counts == {"Customer": 3, "Prospect": 1, "Lead": 1, "Partner": 1}  # Partner: the MSP
    rolled = client.get(f"/api/v1/reports/companies?by=classification&rollup={tree['east']}")
    assert {r["label"]: r["count"] for r in rolled.json()["rows"]} == {"Gold": 2}
    bad = client.get("/api/v1/reports/companies?by=colour")
    assert bad.status_code == 400 and "colour" in bad.json()["errors"][0]


def test_pipeline_report_by_stage_and_status(client: TestClient, tree: dict[str, int]) -> None:
    by_stage = client.get("/api/v1/reports/pipeline?by=stage").json()
    rows = {r["label"]: (r["count"], r["amount"], r["weightedAmount"]) for r in by_stage["rows"]}
    assert rows == {
        "Qualification": (2, 1300.0, 500.0),
        "Proposal": (2, 10199.0, 9019.1),
        "Closed Won": (1, 400.0, 400.0),
    }
    assert by_stage["total"] == {"count": 5, "amount": 11899.0, "weightedAmount": 9919.1}
    by_status = client.get(f"/api/v1/reports/pipeline?by=status&rollup={tree['holding']}").json()
    assert {r["label"]: r["count"] for r in by_status["rows"]} == {
        "Active": 2, "Closed": 1, "Not Ready To Buy": 1,
    }  # fmt: skip
