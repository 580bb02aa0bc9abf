"""Run the server: stdio (one agent, launched by it) or streamable HTTP (``/mcp``)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import anyio
import orjson
from mcp.server.stdio import stdio_server

from mspcrm.errors import ValidationError
from mspcrm.mcp.safety import Policy
from mspcrm.mcp.server import build_server
from mspcrm.mcp.stores import key_store_for
from mspcrm.targets import Target

ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


class BearerToken:
    """Refuses every HTTP request without ``Authorization: Bearer <token>`` (401), compared
    in constant time; the lifespan passes through."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self._authorised(scope):
            await self.app(scope, receive, send)
            return
        body = orjson.dumps({"errors": ["A bearer token is required: Authorization: Bearer …"]})
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b'Bearer realm="mspcrm-mcp"'),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _authorised(self, scope: MutableMapping[str, Any]) -> bool:
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        return hmac.compare_digest(given, self.expected)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def http_app(
    target: Target,
    policy: Policy,
    *,
    host: str = "127.0.0.1",
    keys_file: Path | None = None,
    token: str | None = None,
) -> ASGIApp:
    """The streamable-HTTP ASGI app (path ``/mcp``), behind ``token`` when given. Without
    a token it may only listen on a loopback address."""
    if not token and not is_loopback(host):
        raise ValidationError(
            f"--token (or MSPCRM_MCP_TOKEN) is required to listen on {host}: without one, "
            "the agent interface listens on a loopback address only"
        )
    server = build_server(target, policy, key_store_for(target, keys_file))
    app: ASGIApp = server.streamable_http_app(host=host)
    return BearerToken(app, token) if token else app


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
    token: str | None = None,
) -> None:
    if transport == "stdio":
        anyio.run(_stdio, build_server(target, policy, key_store_for(target, keys_file)))
        return
    import uvicorn

    app = http_app(target, policy, host=host, keys_file=keys_file, token=token)
    uvicorn.run(app, host=host, port=port, log_level="warning")
