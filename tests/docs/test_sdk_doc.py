"""Every Python example in docs/sdk.md runs as written against a demo server.

``mspcrm serve --demo`` is started on a scratch database, its demo credentials go into
the environment (``MSPCRM_URL``...), and each ``python`` block runs in its own
interpreter, in order, in the folder that holds the database.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "sdk.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = free_port()
    mspcrm = Path(sys.executable).parent / "mspcrm"
    process = subprocess.Popen(
        [str(mspcrm), "serve", "--demo", "--database", "mspcrm.db", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        creds: dict[str, str] = {}
        for line in process.stdout:
            found = re.match(r"\s*(UserName|Secret|ApiIntegrationCode):\s*(\S+)", line)
            if found:
                creds[found[1]] = found[2]
            if line.startswith("mspcrm "):
                break
        _wait(f"http://127.0.0.1:{port}/")
        yield {
            "MSPCRM_URL": f"http://127.0.0.1:{port}",
            "MSPCRM_USERNAME": creds["UserName"],
            "MSPCRM_SECRET": creds["Secret"],
            "MSPCRM_INTEGRATION_CODE": creds["ApiIntegrationCode"],
            "CWD": str(tmp_path),
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait(url: str) -> None:
    for _ in range(300):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def test_the_sdk_doc_has_examples() -> None:
    assert len(python_blocks(DOC.read_text())) >= 6


@pytest.mark.slow
def test_every_sdk_doc_example_runs_on_the_demo(demo_server: dict[str, str]) -> None:
    cwd = demo_server.pop("CWD")
    env = {**os.environ, **demo_server}
    for number, block in enumerate(python_blocks(DOC.read_text()), start=1):
        done = subprocess.run(
            [sys.executable, "-c", block],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"example {number} failed:\n{block}\n{done.stderr[-1500:]}"
