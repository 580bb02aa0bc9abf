"""The safety rules: read-only, allow-list, idempotency, protected companies, find-or-create."""

from __future__ import annotations

import anyio

from mspcrm.mcp import Policy
from mspcrm.targets import Target
from tests.mcp.conftest import agent_session, key

ACME = {"companyName": "Acme Corporation", "companyType": "Customer"}


def count(target: Target, name: str) -> int:
    return target.client.companies.count(
        {"filter": [{"op": "contains", "field": "companyName", "value": name}]}
    )


def test_read_only_hides_and_refuses_writes(target: Target) -> None:
    async def scenario() -> None:
        async with agent_session(target, Policy(read_only=True)) as agent:
            names = await agent.tool_names()
            assert "search" in names and not any(
                n.startswith(("create_", "update_")) for n in names
            )
            refused = await agent.call("create_company", idempotency_key=key(), **ACME)
            assert refused.error and refused.body["rule"] == "read_only"
            assert "--read-only" in refused.body["message"] and refused.body["instead"]

    anyio.run(scenario)
    assert count(target, "Acme") == 0


def test_allow_list(target: Target) -> None:
    async def scenario() -> None:
        policy = Policy(allow_tools=frozenset({"create_contact", "update_*"}))
        async with agent_session(target, policy) as agent:
            names = await agent.tool_names()
            assert {"create_contact", "update_company"} <= names and "create_company" not in names
            refused = await agent.call("create_company", idempotency_key=key(), **ACME)
            assert refused.error and refused.body["rule"] == "allow_list"
            assert "create_contact" in refused.body["message"]
            await agent.write("update_company", id=0, phone="555-0100")

    anyio.run(scenario)


def test_idempotent_retry_writes_once(target: Target) -> None:
    async def scenario() -> None:
        async with agent_session(target) as agent:
            same = key()
            first = await agent.ok("create_company", idempotency_key=same, **ACME)
            again = await agent.ok("create_company", idempotency_key=same, **ACME)
            assert again["replayed"] is True and again["id"] == first["id"]
            assert again["outcome"] == "created"
            reused = await agent.call(
                "create_company", idempotency_key=same, companyName="Other", companyType=1
            )
            assert reused.error and reused.body["rule"] == "idempotency_key_reused"

    anyio.run(scenario)
    assert count(target, "Acme") == 1


def test_protected_companies(target: Target) -> None:
    async def scenario() -> None:
        async with agent_session(target) as agent:
            guarded = (await agent.write("create_company", **ACME))["id"]
            other = (await agent.write("create_company", companyName="Globex", companyType=1))["id"]
        policy = Policy(protected_companies=frozenset({guarded}))
        async with agent_session(target, policy) as agent:
            for fields in (
                {"companyName": "Renamed"},
                {"companyType": "Dead"},
                {"isActive": False},
            ):
                refused = await agent.call(
                    "update_company", id=guarded, idempotency_key=key(), **fields
                )
                assert refused.error and refused.body["rule"] == "protected_company", fields
            root = await agent.call("update_company", id=0, idempotency_key=key(), companyName="X")
            assert root.error and root.body["protectedCompanyID"] == 0
            assert (await agent.write("update_company", id=guarded, phone="555-0199"))[
                "outcome"
            ] == "updated"
            plan = await agent.ok("merge_plan", entity="Companies", keep_id=other, other_id=guarded)
            merge = await agent.call(
                "merge",
                entity="Companies",
                keep_id=other,
                other_id=guarded,
                fingerprint=plan["plan"]["fingerprint"],
                idempotency_key=key(),
            )
            assert merge.error and merge.body["rule"] == "protected_company"
            unsafe = await agent.call(
                "create_company", idempotency_key=key(), companyName="gmail.com", companyType=1
            )
            assert unsafe.error and unsafe.body["rule"] == "unsafe_company_name"

    anyio.run(scenario)
    assert target.client.companies.get(0)["companyName"] != "X"


def test_ambiguous_find_or_create(target: Target) -> None:
    first = target.client.companies.create({"companyName": "Contoso Ltd", "companyType": 1})
    second = target.client.companies.create({"companyName": "Contoso LLC", "companyType": 1})

    async def scenario() -> None:
        async with agent_session(target) as agent:
            refused = await agent.call(
                "create_company", idempotency_key=key(), companyName="Contoso", companyType=1
            )
            assert refused.error and refused.body["rule"] == "ambiguous_match"
            assert {c["id"] for c in refused.body["candidates"]} == {first, second}
            assert "use_existing_id" in refused.body["instead"]
            chosen = await agent.write(
                "create_company", companyName="Contoso", companyType=1, use_existing_id=second
            )
            assert chosen["outcome"] == "used_existing" and chosen["id"] == second
            forced = await agent.write(
                "create_company", companyName="Contoso", companyType=1, force_create=True
            )
            assert forced["outcome"] == "created" and len(forced["skippedCandidates"]) == 2
            matched = await agent.write(
                "create_contact",
                companyID=first,
                firstName="Ann",
                lastName="Lee",
                emailAddress="ann@contoso.example",
            )
            again = await agent.write(
                "create_contact",
                companyID=first,
                firstName="Ann",
                lastName="Lee",
                emailAddress="ANN@contoso.example",
            )
            assert again["outcome"] == "matched" and again["id"] == matched["id"]

    anyio.run(scenario)
    assert count(target, "Contoso") == 3


def test_bad_arguments_are_explained(target: Target) -> None:
    async def scenario() -> None:
        async with agent_session(target) as agent:
            bad = await agent.call("create_company", companyName="Acme", companyType=1)
            assert bad.error and "idempotency_key" in bad.body["messages"][0]
            wrong = await agent.call(
                "create_company", idempotency_key=key(), companyName="Acme", companyType="Nope"
            )
            assert wrong.error and "Customer" in wrong.body["messages"][0]
            missing = await agent.call("get_record", entity="Companies", id=999999)
            assert missing.error and missing.body["error"] == "NotFoundError"

    anyio.run(scenario)
