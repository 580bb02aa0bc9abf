"""ASGIInProcessTransport: an ASGI app behind the sync httpx API, lifespan or not."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from mspcrm.sdk import ASGIInProcessTransport

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class LifespanApp:
    def __init__(self, fail: bool = False) -> None:
        self.events: list[str] = []
        self.fail = fail

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.events.append("startup")
                    if self.fail:
                        await send({"type": "lifespan.startup.failed", "message": "no db"})
                        return
                    scope["state"]["greeting"] = "hello"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    self.events.append("shutdown")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = (await receive())["body"]
        answer = {
            "greeting": scope["state"].get("greeting"),
            "path": scope["path"],
            "query": scope["query_string"].decode(),
            "body": body.decode(),
        }
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


def test_lifespan_runs_once_and_its_state_reaches_requests() -> None:
    app = LifespanApp()
    with httpx.Client(transport=ASGIInProcessTransport(app), base_url="http://t") as client:
        first = client.post("/a%20b/c", params={"q": "x y"}, content=b"payload")
        second = client.get("/again")
    assert first.status_code == 201
    assert first.json() == {
        "greeting": "hello",
        "path": "/a b/c",
        "query": "q=x+y",
        "body": "payload",
    }
    assert second.json()["greeting"] == "hello"
    assert app.events == ["startup", "shutdown"]


def test_failed_startup_is_reported() -> None:
    with (
        httpx.Client(transport=ASGIInProcessTransport(LifespanApp(fail=True))) as client,
        pytest.raises(RuntimeError, match="no db"),
    ):
        client.get("http://t/")


def test_apps_without_lifespan_work() -> None:
    async def raises_on_lifespan(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        assert scope["type"] == "http", "no lifespan here"
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with httpx.Client(transport=ASGIInProcessTransport(raises_on_lifespan)) as client:
        assert client.get("http://t/").status_code == 204


def test_app_errors_reach_the_caller_and_a_silent_app_is_a_protocol_error() -> None:
    async def broken(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/boom":
            raise ZeroDivisionError("boom")

    with httpx.Client(transport=ASGIInProcessTransport(broken), base_url="http://t") as client:
        with pytest.raises(ZeroDivisionError):
            client.get("/boom")
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/silent")
