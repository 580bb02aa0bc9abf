"""`mspcrm --help` and shell completion start fast because the command tree imports
nothing heavy: the database layer, the server, the SDK's HTTP stack and the duplicate
scorer load only when a command runs. Checked by what is imported, not by a timer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "sqlalchemy",
    "alembic",
    "starlette",
    "uvicorn",
    "httpx",
    "numpy",
    "rapidfuzz",
    "phonenumbers",
    "argon2",
    "yaml",
    "mcp",
    "mspcrm.services",
    "mspcrm.store",
    "mspcrm.api",
    "mspcrm.sdk",
    "mspcrm.targets",
)
PROBE = """
import json, sys
import mspcrm.cli.main
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {roots} or m in {names})))
"""


def imported_by(code: str) -> set[str]:
    roots = {name.split(".")[0] for name in HEAVY}
    probe = code.format(roots=sorted(roots), names=list(HEAVY))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    return {name for name in HEAVY if name in loaded}


def test_the_command_tree_loads_nothing_heavy() -> None:
    assert imported_by(PROBE) == set()


def test_shell_completion_answers(tmp_path: Path) -> None:
    mspcrm = str(Path(sys.executable).parent / "mspcrm")
    env = {
        **os.environ,
        "_MSPCRM_COMPLETE": "bash_complete",
        "COMP_WORDS": "mspcrm comp",
        "COMP_CWORD": "1",
    }
    done = subprocess.run([mspcrm], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert "companies" in done.stdout
    assert not (tmp_path / "mspcrm.db").exists()
