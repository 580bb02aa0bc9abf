"""Which key store a target gets: its database when local, a file next to the profiles else."""

from __future__ import annotations

import os
from pathlib import Path

from mspcrm.mcp.keys import DatabaseKeys, FileKeys, KeyStore
from mspcrm.profiles import profiles_file
from mspcrm.targets import Target


def keys_file() -> Path:
    configured = os.environ.get("MSPCRM_MCP_KEYS_FILE")
    return Path(configured) if configured else profiles_file().parent / "mcp-writes.json"


def key_store_for(target: Target, path: Path | None = None) -> KeyStore:
    if target.services is not None and path is None:
        return DatabaseKeys(target.services.agent_writes)
    return FileKeys(path or keys_file())
