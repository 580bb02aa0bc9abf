"""Real ``mspcrm serve`` processes on loopback, with chosen options and environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import LiveServer, _wait_until_up, free_port


@contextmanager
def serving(db_url: str, *options: str, **env: str) -> Iterator[LiveServer]:
    """``mspcrm serve`` on 127.0.0.1 with ``options``; ``env`` are MSPCRM_* settings
    (``login_failure_limit="3"`` -> MSPCRM_LOGIN_FAILURE_LIMIT=3)."""
    port = free_port()
    environment = {**os.environ, "MSPCRM_DATABASE_URL": db_url}
    environment |= {f"MSPCRM_{k.upper()}": v for k, v in env.items()}
    process = subprocess.Popen(
        [sys.executable, "-m", "mspcrm.cli", "serve", "--port", str(port), *options],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield LiveServer(url, {}, db_url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def client_from(address: str, url: str, **options: object) -> httpx.Client:
    """An httpx client whose connections come from ``address`` (127.0.0.2, ...)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=url, transport=transport, timeout=30, **options)  # type: ignore[arg-type]


def output_of(server: LiveServer) -> str:
    """What a stopped server printed."""
    server.process.terminate()
    try:
        out, _ = server.process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        out, _ = server.process.communicate()
    return out.decode(errors="replace") if out else ""
