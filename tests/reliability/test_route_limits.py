"""Every route counted and limited: exports, imports, scans take part in the hourly
threshold and the per-integration-code thread limit like the Autotask routes; a streamed
export holds its slot until the stream ends; a long job holds one slot, never more; a
client that leaves mid-body is one log line, never a 500.

The app is driven through its real ASGI interface (no transport that buffers the answer),
so a test can stop reading a stream, or stop sending a body, half way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from mspcrm.api.app import create_app
from mspcrm.services.context import Actor
from mspcrm.services.import_run import ImportOptions
from mspcrm.services.imports import ImportService
from tests.conftest import API_CODE
from tests.reliability.conftest import App

Message = dict[str, Any]


@dataclass
class Answer:
    status: int = 0
    chunks: list[bytes] = field(default_factory=list)

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


async def asgi(
    app: Any,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    receive: Callable[[], Awaitable[Message]] | None = None,
    on_chunk: Callable[[int], Awaitable[None]] | None = None,
    query: str = "",
) -> Answer:
    """One request through the app's ASGI interface, as a server would make it."""
    answer = Answer()

    sent = [False]

    async def no_body() -> Message:
        if not sent[0]:
            sent[0] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # a client that stays: no disconnect until cancelled
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            answer.chunks.append(message["body"])
            if on_chunk is not None:
                await on_chunk(len(answer.chunks))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await app(scope, receive or no_body, send)
    return answer


def many_companies(app: App, count: int) -> None:
    rows = "".join(f"Limit Co {i},1\n" for i in range(count))
    importer = ImportService(app.services.db, app.services.registry, app.services.records)
    from io import BytesIO

    stream = BytesIO(f"companyName,companyType\n{rows}".encode())
    importer.run("companies", stream, Actor(None, "import"), ImportOptions())


def test_exports_imports_and_scans_count_towards_the_hourly_threshold(make_app: Any) -> None:
    app: App = make_app(requests_per_hour=6)
    csv = "companyName,companyType\nCounted Co,1\n"
    answers = [
        app.client.get("/api/v1/exports/companies"),
        app.client.post("/api/v1/imports/companies?dryRun=true", content=csv),
        app.client.post("/api/v1/Companies/duplicates/scan", json={}),
        app.client.get("/api/v1/audit"),
        app.client.get("/api/v1/exports/contacts?format=json"),
    ]
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    assert app.services.limits.count() == 5
    over = [app.client.get("/api/v1/exports/companies") for _ in range(3)]
    assert 429 in [a.status_code for a in over]
    assert "Retry-After" in next(a for a in over if a.status_code == 429).headers


def test_a_streamed_export_holds_its_slot_until_the_stream_ends(make_app: Any) -> None:
    app: App = make_app(thread_limit=1)
    many_companies(app, 4500)  # three chunks of 2,000 rows
    asgi_app = create_app(services=app.services)
    headers = app.creds.headers

    async def scenario() -> tuple[Answer, Answer, Answer, Answer]:
        first_chunk, go_on = asyncio.Event(), asyncio.Event()

        async def slow_reader(chunks: int) -> None:
            if chunks == 1:
                first_chunk.set()
                await go_on.wait()  # the client stops reading after the first chunk

        streaming = asyncio.create_task(
            asgi(asgi_app, "GET", "/api/v1/exports/companies", headers, on_chunk=slow_reader)
        )
        await asyncio.wait_for(first_chunk.wait(), 30)
        during = await asgi(asgi_app, "GET", "/api/v1/exports/companies", headers)
        other_route = await asgi(asgi_app, "GET", "/ATServicesRest/V1.0/Companies/0", headers)
        go_on.set()
        first = await asyncio.wait_for(streaming, 60)
        after = await asgi(asgi_app, "GET", "/api/v1/exports/companies", headers)
        return first, during, other_route, after

    first, during, other_route, after = asyncio.run(scenario())
    assert during.status == 429  # the stream still holds the code's one slot
    assert other_route.status == 200  # other routes have their own slots
    assert first.status == 200 and first.body.count(b"Limit Co") == 4500
    assert after.status == 200  # the slot came back when the stream ended


def test_a_long_import_holds_one_slot_and_gives_it_back(make_app: Any) -> None:
    app: App = make_app(thread_limit=2)
    asgi_app = create_app(services=app.services)
    headers = app.creds.headers | {"content-type": "text/csv"}
    path = "/api/v1/imports/companies"

    def trickle(release: asyncio.Event, started: asyncio.Event) -> Callable[[], Awaitable[Message]]:
        parts = [b"companyName,companyType\n", b"Slow Co,1\n"]

        async def receive() -> Message:
            if not parts:  # the whole body sent: the client waits for the answer
                await asyncio.Event().wait()
            if len(parts) == 1:
                started.set()
                await release.wait()  # a slow client: the job runs long
            return {"type": "http.request", "body": parts.pop(0), "more_body": bool(parts)}

        return receive

    async def scenario() -> list[int]:
        release, started_a, started_b = asyncio.Event(), asyncio.Event(), asyncio.Event()
        a = asyncio.create_task(
            asgi(asgi_app, "POST", path, headers, receive=trickle(release, started_a))
        )
        b = asyncio.create_task(
            asgi(asgi_app, "POST", path, headers, receive=trickle(release, started_b))
        )
        await asyncio.wait_for(asyncio.gather(started_a.wait(), started_b.wait()), 30)
        third = await asgi(asgi_app, "POST", path, headers, query="dryRun=true")
        release.set()
        done = await asyncio.wait_for(asyncio.gather(a, b), 60)
        again = await asgi(asgi_app, "GET", "/api/v1/exports/companies", headers)
        return [third.status, *(d.status for d in done), again.status]

    third, a, b, again = asyncio.run(scenario())
    assert third == 429  # two long imports hold the code's two slots, one each
    assert (a, b, again) == (200, 200, 200)


def test_a_client_leaving_mid_body_is_one_log_line_and_no_500(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app: App = make_app()
    asgi_app = create_app(services=app.services)
    headers = app.creds.headers | {"content-type": "text/csv"}
    messages: list[Message] = [
        {"type": "http.request", "body": b"companyName,companyType\nGone", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    caplog.set_level(logging.INFO)
    answer = asyncio.run(
        asgi(asgi_app, "POST", "/api/v1/imports/companies", headers, receive=receive)
    )
    assert answer.status != 500
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    lines = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert API_CODE  # the same integration code as every other test user
