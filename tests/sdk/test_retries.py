"""The SDK retries what is worth retrying and raises only mspcrm's own errors.

A stand-in for the remote server (a boundary we don't own) fails the first tries in the
ways real networks do; one test uses a real socket that nothing listens on.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from mspcrm.errors import RequestTimeoutError, ServerError, UnreachableError
from mspcrm.sdk import AsyncClient, Client
from mspcrm.sdk.responses import backoff, idempotent

ROOT = "http://crm.test/ATServicesRest/"
CREDENTIALS = {"username": "u", "secret": "s", "integration_code": "C"}
COMPANY = {"item": {"id": 7, "companyName": "Acme"}}


def flaky(failures: list[Exception | int], sent: list[httpx.Request]) -> httpx.MockTransport:
    """Fails with each of ``failures`` in turn (an exception or a status), then answers."""

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if len(sent) <= len(failures):
            failure = failures[len(sent) - 1]
            if isinstance(failure, Exception):
                raise failure
            return httpx.Response(failure, json={"errors": ["try again"]})
        if request.method == "POST" and not request.url.path.endswith("/query"):
            return httpx.Response(200, json={"itemId": 8})
        return httpx.Response(200, json=COMPANY)

    return httpx.MockTransport(handle)


def client(transport: httpx.BaseTransport, **options: object) -> Client:
    return Client(ROOT, transport=transport, max_retry_wait=0.05, **CREDENTIALS, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("reset"),
        502,
        503,
        504,
    ],
    ids=["refused", "read-timeout", "reset", "502", "503", "504"],
)
def test_a_read_survives_transient_failures(failure: Exception | int) -> None:
    sent: list[httpx.Request] = []
    with client(flaky([failure, failure], sent)) as crm:
        assert crm.companies.get(7) == COMPANY["item"]
    assert len(sent) == 3


def test_a_write_is_not_sent_twice_after_it_may_have_arrived() -> None:
    sent: list[httpx.Request] = []
    with (
        client(flaky([httpx.ReadTimeout("slow")], sent)) as crm,
        pytest.raises(RequestTimeoutError, match="POST"),
    ):
        crm.companies.create({"companyName": "Initech"})
    assert len(sent) == 1
    with client(flaky([503], sent := [])) as crm, pytest.raises(ServerError):
        crm.companies.create({"companyName": "Initech"})
    assert len(sent) == 1


def test_a_write_that_never_left_is_retried_and_writes_can_opt_in() -> None:
    sent: list[httpx.Request] = []
    with client(flaky([httpx.ConnectError("refused")], sent)) as crm:
        assert crm.companies.create({"companyName": "Initech"}) == 8
    assert len(sent) == 2
    with client(flaky([httpx.ReadTimeout("slow"), 502], sent := []), retry_writes=True) as crm:
        assert crm.companies.create({"companyName": "Initech"}) == 8
    assert len(sent) == 3


def test_retries_are_bounded_and_end_in_our_own_error() -> None:
    sent: list[httpx.Request] = []
    crm = client(flaky([httpx.ConnectError("refused")] * 10, sent), max_retries=2)
    with crm, pytest.raises(UnreachableError, match=r"3 tries") as raised:
        crm.companies.get(7)
    assert not isinstance(raised.value, httpx.HTTPError)
    assert len(sent) == 3


def test_nothing_listening_is_an_unreachable_error_not_an_httpx_one() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with (
        Client(
            f"http://127.0.0.1:{port}/ATServicesRest/",
            max_retries=1,
            max_retry_wait=0.05,
            **CREDENTIALS,
        ) as crm,
        pytest.raises(UnreachableError, match=f"127.0.0.1:{port}"),
    ):
        crm.companies.get(1)


def test_the_async_client_retries_the_same_way() -> None:
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if len(sent) == 1:
            raise httpx.ConnectError("refused")
        if len(sent) == 2:
            return httpx.Response(504, json={"errors": ["gateway"]})
        return httpx.Response(200, json=COMPANY)

    async def run() -> object:
        async with AsyncClient(
            ROOT, transport=httpx.MockTransport(handle), max_retry_wait=0.05, **CREDENTIALS
        ) as crm:
            return await crm.companies.get(7)

    assert asyncio.run(run()) == COMPANY["item"]
    assert len(sent) == 3


def test_which_requests_are_idempotent() -> None:
    def request(method: str, path: str) -> httpx.Request:
        return httpx.Request(method, f"{ROOT}V1.0/{path}")

    assert idempotent(request("GET", "Companies/1"))
    assert idempotent(request("POST", "Companies/query"))
    assert idempotent(request("POST", "Companies/query/count"))
    assert idempotent(request("PATCH", "Companies")) is False
    assert idempotent(request("POST", "Companies")) is False


def test_backoff_grows_with_jitter_and_stays_under_the_cap() -> None:
    waits = [backoff(attempt, 60.0) for attempt in range(6) for _ in range(50)]
    assert all(0 < w <= 60.0 for w in waits)
    assert (
        max(backoff(0, 60.0) for _ in range(50)) <= 0.5 < min(backoff(4, 60.0) for _ in range(50))
    )
    assert len({round(backoff(3, 60.0), 6) for _ in range(20)}) > 1  # jittered
    assert max(backoff(20, 2.0) for _ in range(50)) <= 2.0
