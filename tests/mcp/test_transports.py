"""The server over streamable HTTP, and against a remote server (a live ``mspcrm serve``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

from mcp import Client
from mspcrm.errors import ValidationError
from mspcrm.mcp import Policy
from mspcrm.mcp.keys import FileKeys
from mspcrm.mcp.runner import http_app
from mspcrm.targets import Target, open_target
from tests.conftest import LiveServer, free_port
from tests.mcp.conftest import Agent, agent_session, key


@pytest.fixture
def http_url(target: Target) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        http_app(target, Policy(agent_name="http-agent")), port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    thread.join(timeout=10)


def test_streamable_http(target: Target, http_url: str) -> None:
    async def scenario() -> None:
        async with Client(http_url) as client:
            agent = Agent(client)
            assert "create_company" in await agent.tool_names()
            created = await agent.write(
                "create_company", companyName="Wayne Enterprises", companyType=1
            )
            found = await agent.ok("search", entity="companies", query="wayne")
            assert found["candidates"][0]["id"] == created["id"]

    anyio.run(scenario)


def test_remote_target(live_server: LiveServer, tmp_path: Path) -> None:
    headers = {k.lower(): v for k, v in live_server.headers.items()}
    remote = open_target(
        url=f"{live_server.url}/ATServicesRest/",
        username=headers["username"],
        secret=headers["secret"],
        integration_code=headers["apiintegrationcode"],
        channel="mcp",
    )
    keys = FileKeys(tmp_path / "mcp-writes.json")

    async def scenario() -> None:
        async with agent_session(remote, keys=keys) as agent:
            same = key()
            first = await agent.ok(
                "create_company",
                idempotency_key=same,
                companyName="Stark Industries",
                companyType=1,
            )
            again = await agent.ok(
                "create_company",
                idempotency_key=same,
                companyName="Stark Industries",
                companyType=1,
            )
            assert again["replayed"] and again["id"] == first["id"]
            contact = await agent.write(
                "create_contact", companyID=first["id"], firstName="Pepper", lastName="Potts"
            )
            overview = await agent.ok("get_company_360", company_id=first["id"])
            assert [c["id"] for c in overview["contacts"]] == [contact["id"]]
            history = await agent.ok("record_history", entity="Companies", id=first["id"])
            assert history["history"][0]["channel"] == "api"
            assert history["agentWrites"][0]["agent"] == "test-agent"

    with remote:
        anyio.run(scenario)
        assert (
            remote.client.companies.count(
                {"filter": [{"op": "eq", "field": "companyName", "value": "Stark Industries"}]}
            )
            == 1
        )


def _serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, thread, port


def test_http_with_a_token_refuses_clients_without_it(target: Target) -> None:
    token = "s3cret-token"
    server, thread, port = _serve(http_app(target, Policy(agent_name="a"), token=token))
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
            refused = httpx.post(url, json={}, headers=headers, timeout=5)
            assert refused.status_code == 401, headers
            assert refused.headers["www-authenticate"].startswith("Bearer")

        async def scenario() -> None:
            client_http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
            async with Client(streamable_http_client(url, http_client=client_http)) as client:
                assert "search" in await Agent(client).tool_names()

        anyio.run(scenario)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_http_without_a_token_listens_on_loopback_only(target: Target) -> None:
    with pytest.raises(ValidationError, match="--token"):
        http_app(target, Policy(agent_name="a"), host="0.0.0.0")
    http_app(target, Policy(agent_name="a"), host="::1")  # loopback: allowed, and said so
