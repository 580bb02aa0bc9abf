"""A small async HTTP/1.1 load generator for 127.0.0.1: keep-alive connections, bounded.

Hand-written over asyncio streams rather than httpx: on a 2-core machine the load
generator shares the CPU with the server, and httpx's per-request cost (~0.3 ms)
would hide most of the difference between the two servers. Both servers are
driven by the same code, so the ratio is fair either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

Request = tuple[str, str, bytes | None]  # method, path with query, body


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    last_body: bytes = b""

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, Any]:
        return {
            "requests": len(self.latencies),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "seconds": round(self.elapsed, 4),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(0.5) * 1000, 3),
            "p95_ms": round(self.percentile(0.95) * 1000, 3),
            "p99_ms": round(self.percentile(0.99) * 1000, 3),
        }


class Connection:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.head = f"Host: {host}:{port}\r\n{extra}"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        length = f"Content-Length: {len(body)}\r\n" if body is not None else ""
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{length}\r\n".encode())
        if body:
            self.writer.write(body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        size = 0
        close = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                size = int(value)
            elif lowered == b"connection" and value.strip().lower() == b"close":
                close = True
        data = await self.reader.readexactly(size)
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def _drive(
    port: int,
    headers: dict[str, str],
    next_request: Callable[[int], Request],
    connections: int,
    max_requests: int,
    max_seconds: float,
    ok: Callable[[int], bool],
) -> Result:
    result = Result()
    counter = iter(range(max_requests))
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        conn = Connection("127.0.0.1", port, headers)
        try:
            for n in counter:
                if time.perf_counter() > deadline:
                    return
                method, path, body = next_request(n)
                started = time.perf_counter()
                try:
                    status, data = await conn.request(method, path, body)
                except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError):
                    result.errors += 1
                    await conn.close()
                    continue
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if ok(status):
                    result.latencies.append(time.perf_counter() - started)
                    result.last_body = data
                else:
                    result.errors += 1
        finally:
            await conn.close()

    started = time.perf_counter()
    try:  # a request that never ends must not hang the run
        await asyncio.wait_for(
            asyncio.gather(*(worker() for _ in range(connections))), max_seconds + 60
        )
    except TimeoutError:
        result.errors += 1
    result.elapsed = time.perf_counter() - started
    return result


def run_load(
    port: int,
    next_request: Callable[[int], Request],
    *,
    headers: dict[str, str] | None = None,
    connections: int = 1,
    max_requests: int = 1000,
    max_seconds: float = 10.0,
    ok: Callable[[int], bool] = lambda status: 200 <= status < 300,
) -> Result:
    """Send up to ``max_requests`` (stopping after ``max_seconds``) over ``connections``."""
    return asyncio.run(
        _drive(port, headers or {}, next_request, connections, max_requests, max_seconds, ok)
    )


def fetch(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One request, the JSON answer decoded (for set-up and checks, not for timing)."""
    raw = None if body is None else orjson.dumps(body)

    async def once() -> tuple[int, bytes]:
        conn = Connection("127.0.0.1", port, headers or {})
        try:
            return await conn.request(method, path, raw)
        finally:
            await conn.close()

    status, data = asyncio.run(once())
    return status, orjson.loads(data) if data else None
