"""The seed's workflows as MCP prompts, through a real MCP session."""

from __future__ import annotations

import anyio
import pytest

from mspcrm.errors import ValidationError
from mspcrm.mcp.prompts import PROMPTS, tools_named
from mspcrm.targets import Target
from tests.mcp.conftest import agent_session


def test_prompts_are_listed_rendered_and_name_only_real_tools(target: Target) -> None:
    async def scenario() -> None:
        async with agent_session(target) as agent:
            listed = (await agent.client.list_prompts()).prompts
            assert {p.name for p in listed} == {
                "onboard_client",
                "clean_up_duplicates",
                "audit_account",
            }
            tools = set(await agent.tool_names())
            for prompt in PROMPTS:
                assert tools_named(prompt) <= tools, prompt.name
                assert len(tools_named(prompt)) >= 3
            got = await agent.client.get_prompt("onboard_client", {"company_name": "Initrode"})
            text = got.messages[0].content.text  # type: ignore[union-attr]
            assert "Initrode" in text and "onboarding_plan" in text and "fingerprint" in text

    anyio.run(scenario)


def test_a_required_argument_is_named_when_missing() -> None:
    with pytest.raises(ValidationError, match="company_name"):
        PROMPTS[0].render({})
