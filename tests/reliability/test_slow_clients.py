"""Slow clients are cut off at the read timeouts and hold nobody's slots beyond them: real
sockets against a real server process (the timeouts are the HTTP layer's; one engine is
enough, but the suite runs both)."""

from __future__ import annotations

import select
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from mspcrm.config import Settings
from mspcrm.services.crm import build_services
from tests.conftest import API_CODE, API_SECRET, API_USER, add_api_user
from tests.reliability.servers import output_of, serving

BASE = "/ATServicesRest/V1.0"
GOOD = {"ApiIntegrationCode": API_CODE, "UserName": API_USER, "Secret": API_SECRET}
TIMEOUTS = ("--header-timeout", "1", "--body-idle-timeout", "1", "--body-timeout", "3")
PARSERS = pytest.mark.parametrize("http", ["httptools", "h11"])  # both of uvicorn's HTTP/1.1


def _with_user(db_url: str) -> None:
    services = build_services(Settings(database_url=db_url))
    try:
        add_api_user(services)
    finally:
        services.close()


def _connect(url: str, *, blocking: bool = False) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.setblocking(blocking)
    return sock


def _closed(sock: socket.socket) -> bytes | None:
    """What the server sent before closing, once it has closed; None while it is open."""
    received = b""
    while select.select([sock], [], [], 0)[0]:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BlockingIOError):
            return received
        if not chunk:
            return received
        received += chunk
    return None


def _post_head(length: int) -> bytes:
    lines = [
        f"POST {BASE}/Companies HTTP/1.1",
        "Host: x",
        f"Content-Length: {length}",
        "Content-Type: application/json",
    ]
    lines += [f"{k}: {v}" for k, v in GOOD.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _get_ms(client: httpx.Client, path: str) -> tuple[int, float]:
    start = time.perf_counter()
    response = client.get(path, headers=GOOD)
    return response.status_code, (time.perf_counter() - start) * 1000


@PARSERS
def test_slow_headers_are_cut_off_and_others_are_served(db_url: str, http: str) -> None:
    _with_user(db_url)
    with (
        serving(db_url, *TIMEOUTS, "--http", http) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        assert client.get(f"{BASE}/Companies/0", headers=GOOD).status_code == 200
        silent = _connect(server.url)  # connects, says nothing
        partial = [_connect(server.url) for _ in range(5)]  # half a head each
        kept = _connect(server.url, blocking=True)
        kept.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # one whole request, answered
        assert kept.recv(65536).startswith(b"HTTP/1.1 200")
        kept.setblocking(False)
        for sock in [*partial, kept]:  # then half a head (on the kept-alive one too)
            sock.send(b"GET /ATServicesRest/V1.0/Companies/0 HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        cut: dict[int, float] = {}
        served: list[float] = []
        while len(cut) < 7 and time.monotonic() - started < 10:
            for i, sock in enumerate([silent, *partial, kept]):
                if i not in cut and _closed(sock) is not None:
                    cut[i] = time.monotonic() - started
            status, ms = _get_ms(client, f"{BASE}/Companies/0")
            assert status == 200
            served.append(ms)
            time.sleep(0.05)
        assert len(cut) == 7, cut
        assert all(0.8 <= t <= 2.5 for t in cut.values()), cut
        print(
            f"\n[{http}] slow headers cut after {min(cut.values()):.2f}-{max(cut.values()):.2f} s "
            f"(timeout 1 s); meanwhile {len(served)} GETs, slowest {max(served):.1f} ms"
        )
    assert "request headers not complete" in output_of(server)


@PARSERS
def test_slow_bodies_are_cut_off_and_free_their_slots(db_url: str, http: str) -> None:
    _with_user(db_url)
    with (
        serving(db_url, *TIMEOUTS, "--http", http) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        assert client.get(f"{BASE}/Companies/0", headers=GOOD).status_code == 200
        trickling = [_connect(server.url) for _ in range(3)]  # a byte every 0.4 s
        for sock in trickling:
            sock.send(_post_head(1000))
        stalled = _connect(server.url)  # sends a head and two bytes, then nothing
        stalled.send(_post_head(1000) + b'{"')
        started = time.monotonic()
        time.sleep(0.5)
        # the three trickling bodies hold the integration code's three Companies slots...
        assert client.get(f"{BASE}/Companies/0", headers=GOOD).status_code == 429
        # ... other endpoints are served
        assert (
            client.get(
                f'{BASE}/Contacts/query/count?search={{"filter":[{{"op":"exist","field":"id"}}]}}',
                headers=GOOD,
            ).status_code
            == 200
        )
        cut: dict[int, float] = {}
        socks = [*trickling, stalled]
        while len(cut) < 4 and time.monotonic() - started < 15:
            for i, sock in enumerate(socks):
                if i in cut:
                    continue
                if _closed(sock) is not None:
                    cut[i] = time.monotonic() - started
                elif i < 3:
                    try:
                        sock.send(b" ")
                    except OSError:
                        cut[i] = time.monotonic() - started
            time.sleep(0.4)
        assert len(cut) == 4, cut
        assert 0.8 <= cut[3] <= 2.5, cut  # nothing for 1 s: the idle timeout
        assert all(2.8 <= cut[i] <= 5.0 for i in range(3)), cut  # 3 s in all
        # the slots are free again at once
        status, ms = _get_ms(client, f"{BASE}/Companies/0")
        assert status == 200
        print(
            f"\n[{http}] stalled body cut after {cut[3]:.2f} s (idle timeout 1 s); trickled bodies "
            f"after {min(cut[i] for i in range(3)):.2f}-{max(cut[i] for i in range(3)):.2f} s "
            f"(body timeout 3 s); the next request on their endpoint: {status} in {ms:.1f} ms"
        )
    assert "request body too slow" in output_of(server)
