"""The agent's find-or-create and search name how a match differs (issue 15)."""

from __future__ import annotations

import anyio

from mspcrm.targets import Target
from tests.mcp.conftest import agent_session


def test_a_matched_prospect_for_a_customer_names_the_difference(target: Target) -> None:
    prospect = target.client.companies.create({"companyName": "Globex Health", "companyType": 3})

    async def scenario() -> None:
        async with agent_session(target) as agent:
            matched = await agent.write(
                "create_company", companyName="Globex Health Inc", companyType=1
            )
            assert matched["outcome"] == "matched" and matched["id"] == prospect
            assert matched["differences"] == ["different_company_type: Customer vs Prospect"]
            child = await agent.write(
                "create_company",
                companyName="Globex Health - East",
                companyType=1,
                parentCompanyID=prospect,
            )
            assert child["outcome"] == "created"
            assert any(
                "parent_company" in e["signal"]
                for c in child["skippedCandidates"]
                for e in c["evidence"]
            )

    anyio.run(scenario)


def test_a_mailbox_at_another_company_is_a_question(target: Target) -> None:
    first = target.client.companies.create({"companyName": "Contoso", "companyType": 1})
    second = target.client.companies.create({"companyName": "Fabrikam", "companyType": 1})
    target.client.contacts.create(
        {"companyID": first, "firstName": "Ann", "lastName": "Lee", "emailAddress": "ann@x.example"}
    )

    async def scenario() -> None:
        async with agent_session(target) as agent:
            asked = await agent.call(
                "create_contact",
                idempotency_key="differences-1",
                companyID=second,
                firstName="A.",
                lastName="Lee",
                emailAddress="ann@x.example",
            )
            assert asked.error and asked.body["rule"] == "ambiguous_match"
            signals = {e["signal"] for c in asked.body["candidates"] for e in c["evidence"]}
            assert "different_company" in signals

    anyio.run(scenario)


def test_search_reads_a_uk_contacts_phone_as_a_uk_number(target: Target) -> None:
    london = target.client.companies.create(
        {"companyName": "Thames Data", "companyType": 1, "countryID": 826}
    )
    contact = target.client.contacts.create(
        {"companyID": london, "firstName": "Ann", "lastName": "Lee", "phone": "020 7946 0018"}
    )

    async def scenario() -> None:
        async with agent_session(target) as agent:
            found = await agent.ok("search", entity="contacts", query="+44 20 7946 0018")
            best = found["candidates"][0]
            assert best["id"] == contact
            assert "+44 20 7946 0018" in best["reasons"]  # the phone evidence

    anyio.run(scenario)
