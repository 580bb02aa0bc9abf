"""``mspcrm serve --workers 2``: two processes on one database answer as one server: the
hourly request limit is exact across them, and any worker's /metrics counts for both."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.test_observability import series
from tests.conftest import free_port

LIMIT = 40


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    port, log = free_port(), tmp_path / "serve.log"
    env = {**os.environ, "MSPCRM_REQUESTS_PER_HOUR": str(LIMIT)}
    command = [str(Path(sys.executable).parent / "mspcrm"), "serve", "--demo", "--workers", "2"]
    with log.open("w") as out:
        process = subprocess.Popen(
            [*command, "--access-log", "--database", str(tmp_path / "w.db"), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, process, log)
        pattern = r"^\s+(UserName|Secret|ApiIntegrationCode):\s+(\S+)$"
        found = dict(re.findall(pattern, log.read_text(), flags=re.M))
        yield url, found, log
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no answer from the workers:\n{log.read_text()}")


def test_two_workers_share_the_limit_and_the_metrics(
    two_workers: tuple[str, dict[str, str], Path],
) -> None:
    url, headers, log = two_workers
    statuses: Counter[int] = Counter()
    for _ in range(LIMIT + 10):  # a new connection each: both workers take requests
        answer = httpx.get(f"{url}/ATServicesRest/V1.0/Companies/1", headers=headers, timeout=10)
        statuses[answer.status_code] += 1
    assert statuses == {200: LIMIT, 429: 10}
    text = httpx.get(f"{url}/metrics", timeout=10).text
    route = "/ATServicesRest/V1.0/Companies/{id}"
    assert series(text, "mspcrm_requests_total", route=route, status="200") == LIMIT
    assert series(text, "mspcrm_rate_limited_total", route=route) == 10
    assert log.read_text().count('"GET /ATServicesRest/V1.0/Companies/1 HTTP/1.1"') == LIMIT + 10
