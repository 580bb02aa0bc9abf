"""Start and stop the two servers under test as subprocesses on 127.0.0.1; read their RSS."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MSPCRM = Path(sys.executable).parent / "mspcrm"
# The request limits run as shipped (every request is counted and holds a slot), with
# thresholds high enough that a benchmark is never refused: 10,000/hour and 3 threads
# per endpoint would stop a load test after a few seconds.
LOGS = ROOT / "benchmarks" / "results" / "logs"
LIMIT_ENV = {"MSPCRM_REQUESTS_PER_HOUR": "1000000000", "MSPCRM_THREAD_LIMIT": "1000"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        self.port = free_port()
        self.command = [*command, "--port", str(self.port)]
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = LOGS / f"{name}-{self.port}.log"

    def start(self, timeout: float = 900.0) -> Server:
        """Wait until it listens: a cached data set made by older code is migrated first
        (0009 and 0010 took ~3 minutes on the L set)."""
        LOGS.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:  # a file, never a pipe: a full pipe blocks it
            self.process = subprocess.Popen(
                self.command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.log_path.read_text(errors="replace")
                raise RuntimeError(f"{self.name} exited at start: {err[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not listen on {self.port} within {timeout}s")

    def rss_mb(self) -> dict[str, float]:
        """Resident memory now and at its peak (VmRSS, VmHWM), in MB."""
        assert self.process is not None
        out = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
        return out

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def mspcrm_server(database_url: str) -> Server:
    return Server("mspcrm", [str(MSPCRM), "serve", "--database", database_url], env=LIMIT_ENV)


def baseline_server(database: str, queries: Path) -> Server:
    command = [sys.executable, "-m", "benchmarks.baseline", "--database", database]
    return Server("baseline", [*command, "--queries", str(queries)])


def unlimited_server(database_url: str) -> Server:
    """The same app with the request-limit check off (a diagnostic, see ``nolimits``)."""
    command = [sys.executable, "-m", "benchmarks.nolimits", "--database", database_url]
    return Server("mspcrm-nolimits", command)
