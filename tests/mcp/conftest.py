"""Fixtures of the MCP tests: the server over a target on the test database, an MCP client."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from mcp import Client
from mspcrm.mcp import Policy, build_server
from mspcrm.services.crm import Services
from mspcrm.targets import Target, open_target


@pytest.fixture
def target(db_url: str) -> Iterator[Target]:
    with open_target(database=db_url, channel="mcp") as opened:
        assert opened.services is not None
        yield opened


@pytest.fixture
def manager_id(services: Services) -> int:
    resource_id, _ = services.admin.create_resource("Ann", "Lee", "ann@msp.example")
    return int(resource_id)


def key() -> str:
    return f"test-{uuid.uuid4()}"


@dataclass
class Answer:
    error: bool
    body: dict[str, Any]


class Agent:
    """An MCP client session, with one-line tool calls."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def call(self, tool: str, **arguments: Any) -> Answer:
        result = await self.client.call_tool(tool, arguments)
        assert isinstance(result.structured_content, dict), result
        return Answer(result.is_error, result.structured_content)

    async def ok(self, tool: str, **arguments: Any) -> dict[str, Any]:
        answer = await self.call(tool, **arguments)
        assert not answer.error, answer.body
        return answer.body

    async def write(self, tool: str, **arguments: Any) -> dict[str, Any]:
        return await self.ok(tool, idempotency_key=key(), **arguments)

    async def tool_names(self) -> set[str]:
        return {t.name for t in (await self.client.list_tools()).tools}


@asynccontextmanager
async def agent_session(
    target: Target, policy: Policy | None = None, **kw: Any
) -> AsyncIterator[Agent]:
    """A JSON-RPC session over in-memory streams (the SDK's InMemoryTransport)."""
    server = build_server(
        target, policy or Policy(agent_name="test-agent", on_behalf_of="ann"), **kw
    )
    async with Client(server, mode="legacy") as client:
        yield Agent(client)
