"""Every ``mspcrm`` command in the README runs as written against the demo database.

The commands are read from the README's ``sh`` blocks in order (later ones may rely on
earlier ones: the merge that ``merge undo 1`` undoes) and run by a shell in a folder
whose ``mspcrm.db`` holds the demo data, the way a newcomer would after ``dev.py run``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mspcrm.config import Settings
from mspcrm.services.crm import build_services
from mspcrm.services.demo import load_demo

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# Lines not run here, each with the reason; everything else must run.
NOT_RUN = {
    "mspcrm serve": "a long-running server: .ci/smoke-install starts the demo server",
    "--profile tenant": "reaches a real Autotask tenant over the network",
    "postgresql://": "needs a PostgreSQL server at the address in the example",
    "/var/lib/mspcrm": "writes to a system folder; the same command runs with other paths",
}
# Commands whose documented outcome is not exit code 0.
EXIT_CODES = {"mspcrm duplicates check": 4}  # "likely duplicate" (the README's exit codes)


def readme_commands(text: str) -> list[str]:
    """The ``mspcrm ...`` lines of the ``sh`` blocks, continuation lines joined."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("mspcrm "):
                commands.append(line)
    return commands


def _skipped(command: str) -> bool:
    return any(marker in command for marker in NOT_RUN)


def _expected_code(command: str) -> int:
    return next((code for start, code in EXIT_CODES.items() if command.startswith(start)), 0)


@pytest.fixture
def demo_folder(tmp_path: Path) -> Path:
    services = build_services(Settings(database_url=f"sqlite:///{tmp_path / 'mspcrm.db'}"))
    try:
        assert load_demo(services) is not None
    finally:
        services.close()
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    return tmp_path


def test_the_readme_has_commands_to_run() -> None:
    commands = readme_commands((ROOT / "README.md").read_text())
    assert len([c for c in commands if not _skipped(c)]) >= 30


@pytest.mark.slow
def test_every_readme_command_runs_on_the_demo_database(demo_folder: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("MSPCRM_") and k != "PYTHONHASHSEED"
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(demo_folder),
        XDG_CONFIG_HOME=str(demo_folder / ".config"),
        COLUMNS="120",
    )
    failures: list[str] = []
    for command in readme_commands((ROOT / "README.md").read_text()):
        if _skipped(command):
            continue
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=demo_folder,
            env=env,
            input="y\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != _expected_code(command):
            failures.append(f"{command}\n  exit {done.returncode}: {done.stderr.strip()[-400:]}")
    assert not failures, "README commands that fail on the demo data:\n" + "\n".join(failures)
