"""Every tool through a real MCP session on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import anyio
import orjson

from mspcrm.targets import Target
from tests.mcp.conftest import agent_session

READ_TOOLS = {
    "search",
    "get_company_360",
    "get_record",
    "describe_entity",
    "record_history",
    "duplicate_scan",
    "merge_plan",
    "onboarding_template",
    "onboarding_plan",
    "company_tree",
    "company_rollup",
    "data_quality_audit",
}
WRITE_TOOLS = {
    *(
        f"{verb}_{noun}"
        for verb in ("create", "update")
        for noun in (
            "company",
            "contact",
            "site",
            "opportunity",
            "contract",
            "company_note",
            "contact_role",
        )
    ),
    "merge",
    "onboard_client",
    "deactivate_contact",
    "merge_undo",
}


def test_list_tools_with_schemas_and_hints(target: Target) -> None:
    async def scenario() -> None:
        async with agent_session(target) as agent:
            tools = {t.name: t for t in (await agent.client.list_tools()).tools}
            assert set(tools) == READ_TOOLS | WRITE_TOOLS
            for name in READ_TOOLS:
                assert tools[name].annotations.read_only_hint is True
            for name in WRITE_TOOLS:
                hints = tools[name].annotations
                assert hints.read_only_hint is False and hints.idempotent_hint is True
                assert "idempotency_key" in tools[name].input_schema["required"]
            assert tools["merge"].annotations.destructive_hint is True
            assert tools["create_company"].annotations.destructive_hint is False
            company = tools["create_company"].input_schema
            assert company["required"] == ["companyName", "companyType", "idempotency_key"]
            assert "Customer" in company["properties"]["companyType"]["description"]
            assert "use_existing_id" in company["properties"]
            templates = await agent.client.list_resource_templates()
            uris = {t.uri_template for t in templates.resource_templates}
            assert uris == {"mspcrm://companies/{id}", "mspcrm://contacts/{id}"}

    anyio.run(scenario)


TOOL_LIST_BUDGET = 25_000  # bytes of JSON for every tool an agent loads (was 58 KB)


def test_the_tool_list_stays_small(target: Target) -> None:
    """The tool list goes into every agent's context: it stays under its budget, and the
    update tools point at the create tool's fields instead of listing them again."""

    async def scenario() -> None:
        async with agent_session(target) as agent:
            tools = (await agent.client.list_tools()).tools
            wire = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
            size = len(orjson.dumps(wire))
            assert size <= TOOL_LIST_BUDGET, f"the tool list is {size} bytes"
            update = next(t for t in wire if t["name"] == "update_company")["inputSchema"]
            assert "create_company" in update["additionalProperties"]["description"]
            described = await agent.ok("describe_entity", entity="Companies")
            assert "companyName" in str(described)  # the full story is one call away

    anyio.run(scenario)


def test_every_tool_once(target: Target, manager_id: int) -> None:
    async def scenario() -> None:
        async with agent_session(target) as agent:
            company = await agent.write(
                "create_company",
                companyName="Acme Corporation",
                companyType="Customer",
                phone="555-123-4567",
                webAddress="https://acme.example.com",
            )
            assert company["outcome"] == "created"
            acme = company["id"]
            contact = await agent.write(
                "create_contact",
                companyID=acme,
                firstName="John",
                lastName="Smith",
                emailAddress="john.smith@acme.example.com",
            )
            assert contact["outcome"] == "created" and contact["record"]["companyID"] == acme
            site = await agent.write(
                "create_site", companyID=acme, name="Main Office", city="Springfield"
            )
            opportunity = await agent.write(
                "create_opportunity",
                companyID=acme,
                title="Managed services",
                ownerResourceID=manager_id,
                amount=1200,
                cost=0,
                probability=50,
                projectedCloseDate="2027-01-31",
                startDate="2026-12-01",
                stage="Proposal",
                status="Active",
                useQuoteTotals=False,
            )
            contract = await agent.write(
                "create_contract",
                companyID=acme,
                contractName="Acme managed services",
                contractType="Recurring Service",
                startDate="2027-01-01",
                endDate="2027-12-31",
                status="Active",
            )
            note = await agent.write(
                "create_company_note",
                companyID=acme,
                actionType="Onboarding",
                description="Kick-off",
            )
            role = await agent.write(
                "create_contact_role", contactID=contact["id"], role="Billing contact"
            )
            updates = [
                ("update_company", acme, {"city": "Springfield"}),
                ("update_contact", contact["id"], {"title": "IT Director"}),
                ("update_site", site["id"], {"isPrimary": True}),
                ("update_opportunity", opportunity["id"], {"probability": 80}),
                ("update_contract", contract["id"], {"description": "24x7"}),
                ("update_company_note", note["id"], {"title": "Kick-off meeting"}),
                ("update_contact_role", role["id"], {"notes": "Invoices"}),
            ]
            for tool, record_id, fields in updates:
                updated = await agent.write(tool, id=record_id, **fields)
                assert updated["outcome"] == "updated"
                assert all(updated["record"][k] == v for k, v in fields.items()), tool

            found = await agent.ok("search", entity="contacts", query="John Smith")
            assert found["candidates"][0]["id"] == contact["id"]
            assert found["candidates"][0]["reasons"] and found["candidates"][0]["companyName"]
            by_mail = await agent.ok(
                "search", entity="contacts", query="JOHN.SMITH@acme.example.com"
            )
            assert (
                by_mail["interpretedAs"] == "email"
                and by_mail["candidates"][0]["id"] == contact["id"]
            )
            by_phone = await agent.ok("search", entity="companies", query="(555) 123-4567")
            assert by_phone["interpretedAs"] == "phone" and by_phone["candidates"][0]["id"] == acme
            by_domain = await agent.ok("search", entity="companies", query="acme.example.com")
            assert by_domain["candidates"][0]["id"] == acme
            sites = await agent.ok("search", entity="sites", query="main", company_id=acme)
            assert sites["candidates"][0]["id"] == site["id"]
            opportunities = await agent.ok("search", entity="opportunities", query="managed")
            assert opportunities["candidates"][0]["id"] == opportunity["id"]

            overview = await agent.ok("get_company_360", company_id=acme)
            assert overview["company"]["companyTypeLabel"] == "Customer"
            counts = overview["counts"]
            assert counts["contacts"] == counts["openOpportunities"] == counts["contracts"] == 1
            assert site["id"] in [s["id"] for s in overview["sites"]]
            assert counts["childCompanies"] == 0
            record = await agent.ok("get_record", entity="sites", id=site["id"])
            assert record["record"]["name"] == "Main Office"
            described = await agent.ok("describe_entity", entity="Companies")
            company_type = next(f for f in described["fields"] if f["name"] == "companyType")
            assert company_type["picklist"]["Customer"] == 1

            history = await agent.ok("record_history", entity="Companies", id=acme)
            assert [h["op"] for h in history["history"]] == ["create", "update"]
            assert all(h["channel"] == "mcp" for h in history["history"])
            assert [w["tool"] for w in history["agentWrites"]] == [
                "create_company",
                "update_company",
            ]
            assert history["agentWrites"][0]["agent"] == "test-agent"
            assert history["agentWrites"][0]["onBehalfOf"] == "ann"

            resource = await agent.client.read_resource(f"mspcrm://contacts/{contact['id']}")
            assert '"firstName":"John"' in resource.contents[0].text

    anyio.run(scenario)
