"""The agent tools run the same workflows on whichever target they were started with:
the same tool calls on a local database and on a live ``serve --compat autotask``
(no ``/api/v1``) answer the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from mspcrm.targets import Target, open_target
from tests.conftest import API_CODE, API_SECRET, API_USER
from tests.mcp.conftest import agent_session
from tests.workflows.conftest import StandIn


@pytest.fixture(autouse=True)
def journals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSPCRM_PROFILES_FILE", str(tmp_path / "config" / "profiles.json"))


def calls(ids: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("company_tree", {"company_id": ids["holding"]}),
        ("company_rollup", {"company_id": ids["holding"]}),
        ("data_quality_audit", {}),
        ("duplicate_scan", {"entity": "Contacts"}),
        ("merge_plan", {"entity": "Companies", "keep_id": ids["east"], "other_id": ids["west"]}),
        ("deactivate_contact", {"contact_id": ids["p2"], "successor_id": ids["p3"]}),
        ("company_rollup", {"company_id": ids["clinic"]}),
    ]


async def answers(target: Target, ids: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    async with agent_session(target) as agent:
        for tool, arguments in calls(ids):
            if tool == "deactivate_contact":
                body = await agent.write(tool, **arguments)
                body.pop("idempotencyKey")  # a fresh one for each call
            else:
                body = await agent.ok(tool, **arguments)
            out.append(body)
    return out


def test_agent_tools_answer_the_same_on_the_stand_in(stand_in: StandIn) -> None:
    with open_target(database=stand_in.local, channel="mcp") as local:
        here = anyio.run(answers, local, stand_in.ids)
    with open_target(url=stand_in.url, username=API_USER, secret=API_SECRET,
                     integration_code=API_CODE, channel="mcp") as remote:  # fmt: skip
        there = anyio.run(answers, remote, stand_in.ids)
        assert remote.workflows.native is False
    for (tool, _), mine, theirs in zip(calls(stand_in.ids), here, there, strict=True):
        assert mine == theirs, tool
