"""Cleanup: scan, plan, a refused stale fingerprint, merge, undo."""

from __future__ import annotations

import anyio

from mspcrm.targets import Target
from tests.mcp.conftest import agent_session, key


def test_scan_plan_merge_and_undo(target: Target) -> None:
    companies = target.client.companies
    keep = companies.create({"companyName": "Initech", "companyType": 1, "phone": "555-0101"})
    other = companies.create(
        {"companyName": "Initech Inc", "companyType": 1, "webAddress": "initech.example"}
    )
    target.client.companies.children(other, "Contacts").create(
        {"firstName": "Peter", "lastName": "Gibbons"}
    )

    async def scenario() -> None:
        async with agent_session(target) as agent:
            scan = await agent.ok("duplicate_scan", entity="Companies")
            assert any({keep, other} <= set(c["ids"]) for c in scan["clusters"]), scan
            plan = (await agent.ok("merge_plan", entity="Companies", keep_id=keep, other_id=other))[
                "plan"
            ]
            stale = await agent.call(
                "merge",
                entity="Companies",
                keep_id=keep,
                other_id=other,
                fingerprint="0" * 16,
                idempotency_key=key(),
            )
            assert stale.error and stale.body["rule"] == "fingerprint_mismatch"
            assert companies.get(other)["isActive"] is True
            done = await agent.write(
                "merge",
                entity="Companies",
                keep_id=keep,
                other_id=other,
                fingerprint=plan["fingerprint"],
            )
            assert done["outcome"] == "merged" and done["mergeID"]
            assert companies.get(other)["isActive"] is False
            assert companies.get(keep)["webAddress"] == "initech.example"
            undone = await agent.write("merge_undo", merge_id=done["mergeID"])
            assert undone["outcome"] == "merge_undone"
            assert companies.get(other)["isActive"] is True
            assert companies.get(other)["companyName"] == "Initech Inc"

    anyio.run(scenario)
