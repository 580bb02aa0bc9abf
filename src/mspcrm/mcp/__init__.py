"""The agent interface: ``mspcrm mcp``, a Model Context Protocol server over the SDK.

    from mspcrm.mcp import Policy, build_server
    server = build_server(target, Policy(read_only=True, agent_name="claude"))

Every tool ends in an SDK call on a ``Target`` (a local database in process or
any Autotask-compatible server over HTTP); the safety rules (read-only mode,
write allow-list, idempotency keys, protected companies, attribution) live in
``mspcrm.mcp.safety`` and ``mspcrm.mcp.keys``.
"""

from mspcrm.mcp.safety import Policy, Refusal
from mspcrm.mcp.server import build_server

__all__ = ["Policy", "Refusal", "build_server"]
