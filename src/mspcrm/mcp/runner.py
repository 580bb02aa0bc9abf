"""Run the server: stdio (one agent, launched by it) or streamable HTTP (``/mcp``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
from mcp.server.stdio import stdio_server
from starlette.applications import Starlette

from mspcrm.mcp.safety import Policy
from mspcrm.mcp.server import build_server
from mspcrm.mcp.stores import key_store_for
from mspcrm.targets import Target


def http_app(
    target: Target, policy: Policy, *, host: str = "127.0.0.1", keys_file: Path | None = None
) -> Starlette:
    """The streamable-HTTP ASGI app (path ``/mcp``)."""
    server = build_server(target, policy, key_store_for(target, keys_file))
    return server.streamable_http_app(host=host)


async def _stdio(server: Any) -> None:
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def serve(
    target: Target,
    policy: Policy,
    *,
    transport: str = "stdio",
    host: str = "127.0.0.1",
    port: int = 8765,
    keys_file: Path | None = None,
) -> None:
    if transport == "stdio":
        anyio.run(_stdio, build_server(target, policy, key_store_for(target, keys_file)))
        return
    import uvicorn

    app = http_app(target, policy, host=host, keys_file=keys_file)
    uvicorn.run(app, host=host, port=port, log_level="warning")
