"""Workflow tools: onboarding plan then confirm, contact deactivation, tree, roll-up, audit."""

from __future__ import annotations

from typing import Any

import anyio
import yaml

from mspcrm.domain.onboarding_template import TEMPLATE
from mspcrm.services.crm import Services
from mspcrm.targets import Target
from tests.mcp.conftest import agent_session, key


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE)
    return loaded


def test_onboarding_plan_confirm_and_the_other_workflows(
    target: Target, services: Services
) -> None:
    services.admin.create_resource("Ann", "Lee", "ann.lee@msp.example")
    doc = document()

    async def scenario() -> None:
        async with agent_session(target) as agent:
            assert "onboarding_template" in await agent.tool_names()
            assert "company:" in (await agent.ok("onboarding_template"))["template"]
            planned = (await agent.ok("onboarding_plan", document=doc))["plan"]
            assert planned["dryRun"] is True and planned["summary"]["create"] > 0
            assert (
                target.client.companies.count(
                    {"op": "eq", "field": "companyName", "value": doc["company"]["companyName"]}
                )
                == 0
            )
            stale = await agent.call(
                "onboard_client", document=doc, fingerprint="0" * 16, idempotency_key=key()
            )
            assert stale.error and stale.body["rule"] == "onboarding_refused"
            done = await agent.write(
                "onboard_client", document=doc, fingerprint=planned["fingerprint"]
            )
            company_id = done["result"]["companyID"]
            assert done["outcome"] == "onboarded" and company_id
            tree = await agent.ok("company_tree", company_id=company_id)
            assert str(company_id) in str(tree)
            rollup = await agent.ok("company_rollup", company_id=company_id)
            assert rollup
            audit = await agent.ok("data_quality_audit", duplicates=False)
            assert "findings" in audit
            contacts = target.client.companies.children(company_id, "Contacts").list()
            primary = next(c for c in contacts if c["primaryContact"])
            other = next(c for c in contacts if not c["primaryContact"])
            refused = await agent.call(
                "deactivate_contact", contact_id=primary["id"], idempotency_key=key()
            )
            assert refused.error
            await agent.write(
                "deactivate_contact", contact_id=primary["id"], successor_id=other["id"]
            )
            assert target.client.contacts.get(primary["id"])["isActive"] == 0
            assert target.client.contacts.get(other["id"])["primaryContact"] is True

    anyio.run(scenario)


def test_read_only_hides_the_workflow_writes(target: Target) -> None:
    from mspcrm.mcp import Policy

    async def scenario() -> None:
        async with agent_session(target, Policy(agent_name="a", read_only=True)) as agent:
            names = await agent.tool_names()
            assert "onboarding_plan" in names and "company_tree" in names
            assert "onboard_client" not in names and "deactivate_contact" not in names

    anyio.run(scenario)
