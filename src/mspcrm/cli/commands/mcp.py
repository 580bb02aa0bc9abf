"""``mspcrm mcp``: the agent interface (Model Context Protocol) on stdio or streamable HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from mspcrm.cli.common import database_option, err_console

if TYPE_CHECKING:
    from mspcrm.mcp.safety import Policy


def _policy(
    read_only: bool,
    allow_tools: str | None,
    protect: tuple[int, ...],
    agent: str,
    human: str | None,
) -> Policy:
    from mspcrm.mcp.safety import Policy, protected_from_env

    allowed = None
    if allow_tools:
        allowed = frozenset(t.strip() for t in allow_tools.split(",") if t.strip())
    return Policy(
        read_only=read_only,
        allow_tools=allowed,
        protected_companies=frozenset(protect) | protected_from_env(),
        agent_name=agent,
        on_behalf_of=human,
    )


@click.command()
@click.option(
    "--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="HTTP: interface to listen on."
)
@click.option("--port", type=int, default=8765, show_default=True, help="HTTP: port (path /mcp).")
@click.option(
    "--token",
    envvar="MSPCRM_MCP_TOKEN",
    help="HTTP: the bearer token clients must send (required unless --host is loopback).",
)
@database_option
@click.option("--url", envvar="MSPCRM_URL", help="A remote Autotask-compatible server instead.")
@click.option("--username", envvar="MSPCRM_USERNAME")
@click.option("--secret", envvar="MSPCRM_SECRET")
@click.option("--integration-code", envvar="MSPCRM_INTEGRATION_CODE")
@click.option("--profile", help="A saved connection profile (mspcrm profiles).")
@click.option("--resource-id", type=int, help="Local database: the resource writes are made as.")
@click.option("--read-only", is_flag=True, envvar="MSPCRM_MCP_READ_ONLY", help="No write tools.")
@click.option(
    "--allow-tools",
    envvar="MSPCRM_MCP_ALLOW_TOOLS",
    help="Comma-separated write tools allowed (globs ok: 'create_*'); default all.",
)
@click.option(
    "--protect-company",
    "protect",
    type=int,
    multiple=True,
    help="A company id agents may not rename, retype, deactivate or merge away (repeatable; "
    "also MSPCRM_PROTECTED_COMPANIES). Company 0 always is.",
)
@click.option("--agent-name", envvar="MSPCRM_AGENT_NAME", default="agent", show_default=True)
@click.option(
    "--on-behalf-of", envvar="MSPCRM_ON_BEHALF_OF", help="The person the agent works for."
)
@click.option(
    "--keys-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Remote targets: where idempotency keys are kept (default next to the profiles).",
)
def mcp(
    transport: str,
    host: str,
    port: int,
    token: str | None,
    database: str | None,
    url: str | None,
    username: str | None,
    secret: str | None,
    integration_code: str | None,
    profile: str | None,
    resource_id: int | None,
    read_only: bool,
    allow_tools: str | None,
    protect: tuple[int, ...],
    agent_name: str,
    on_behalf_of: str | None,
    keys_file: Path | None,
) -> None:
    """Serve the agent interface (MCP) over the local database or a remote server."""
    from mspcrm.mcp.runner import serve
    from mspcrm.targets import open_target

    policy = _policy(read_only, allow_tools, protect, agent_name, on_behalf_of)
    target = open_target(
        database=database,
        url=url,
        username=username,
        secret=secret,
        integration_code=integration_code,
        profile=profile,
        channel="mcp",
        resource_id=resource_id,
        context=f"agent {policy.attribution()}",
    )
    with target:
        err_console.print(f"mspcrm mcp ({transport}) on {target.description}")
        if transport == "http":
            err_console.print(_http_note(host, port, token))
        serve(
            target,
            policy,
            transport=transport,
            host=host,
            port=port,
            keys_file=keys_file,
            token=token,
        )


def _http_note(host: str, port: int, token: str | None) -> str:
    where = f"http://{host}:{port}/mcp"
    if token:
        return f"listening on {where}; clients send Authorization: Bearer <the token>"
    return (
        f"listening on {where}, loopback only and without a token: any local process can "
        "call it (--token to require one)"
    )


def register(cli: click.Group) -> None:
    cli.add_command(mcp)
