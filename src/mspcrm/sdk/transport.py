"""Run an ASGI app in process behind the sync ``httpx`` API: no socket, no server.

One event loop runs in a background thread (an anyio blocking portal), started
on the first request; the app's lifespan runs there once, if the app has one.
Requests from any number of threads are handed to that loop and run
concurrently, as they would on a real server. ``close()`` (or closing the
``httpx.Client`` / ``mspcrm.sdk.Client`` that owns the transport) shuts the
lifespan down and stops the loop.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import anyio.from_thread
import httpx

Scope = dict[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]  # what we hand the app: plain dicts
Send = Callable[[Message], Awaitable[None]]  # what we accept from it: any mapping
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
STARTUP_TIMEOUT = 30.0


class _Lifespan:
    """The ASGI lifespan protocol, tolerant of apps that do not speak it."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state
        self.started = anyio.Event()
        self.stopping = anyio.Event()
        self.stopped = anyio.Event()
        self.failure: str | None = None
        self.supported = True
        self._sent_startup = False

    async def run(self) -> None:
        try:
            scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
            await self.app(scope, self._receive, self._send)
        except Exception:
            if not self.started.is_set():  # an app without lifespan support may raise
                self.supported = False
        finally:
            if not self.started.is_set():
                self.supported = False
            self.started.set()
            self.stopped.set()

    async def _receive(self) -> dict[str, Any]:
        if not self._sent_startup:
            self._sent_startup = True
            return {"type": "lifespan.startup"}
        await self.stopping.wait()
        return {"type": "lifespan.shutdown"}

    async def _send(self, message: Message) -> None:
        kind = message.get("type", "")
        if kind in ("lifespan.startup.failed", "lifespan.shutdown.failed"):
            self.failure = str(message.get("message") or kind)
        if kind.startswith("lifespan.startup."):
            self.started.set()
        elif kind.startswith("lifespan.shutdown."):
            self.stopped.set()

    async def wait_started(self) -> bool:
        with anyio.move_on_after(STARTUP_TIMEOUT):
            await self.started.wait()
        return self.started.is_set()

    async def stop(self) -> None:
        self.stopping.set()
        with anyio.move_on_after(10):
            await self.stopped.wait()


class ASGIInProcessTransport(httpx.BaseTransport):
    """A sync ``httpx.BaseTransport`` that calls an ASGI app in process."""

    def __init__(self, app: ASGIApp, *, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self.client = client
        self.state: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stack: contextlib.ExitStack | None = None
        self._portal: anyio.from_thread.BlockingPortal | None = None

    def _start(self) -> anyio.from_thread.BlockingPortal:
        with self._lock:
            if self._portal is not None:
                return self._portal
            stack = contextlib.ExitStack()
            portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
            stack.callback(portal.call, portal.stop, True)  # whatever is left is cancelled
            lifespan = portal.call(_Lifespan, self.app, self.state)
            portal.start_task_soon(lifespan.run)
            stack.callback(portal.call, lifespan.stop)
            if not portal.call(lifespan.wait_started):
                stack.close()
                raise RuntimeError(f"The ASGI app did not start within {STARTUP_TIMEOUT} s")
            if lifespan.failure is not None:
                stack.close()
                raise RuntimeError(f"The ASGI app failed to start: {lifespan.failure}")
            self._stack, self._portal = stack, portal
            return portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        portal = self._start()
        status, headers, content = portal.call(self._call_app, request, body)
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def _call_app(
        self, request: httpx.Request, body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        exchange = _Exchange(body)
        timeout = request.extensions.get("timeout", {}).get("read")
        try:
            with anyio.fail_after(timeout):
                await self.app(self._scope(request), exchange.receive, exchange.send)
        except TimeoutError:
            raise httpx.ReadTimeout(
                "The ASGI app did not answer in time", request=request
            ) from None
        finally:
            exchange.done.set()
        if exchange.status is None:
            raise httpx.RemoteProtocolError("The ASGI app sent no response", request=request)
        return exchange.status, exchange.headers, b"".join(exchange.chunks)

    def _scope(self, request: httpx.Request) -> Scope:
        url = request.url
        default_port = 443 if url.scheme == "https" else 80
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "query_string": url.query,
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": self.client,
            "server": (url.host, url.port or default_port),
            "state": dict(self.state),
        }

    def close(self) -> None:
        with self._lock:
            stack, self._stack, self._portal = self._stack, None, None
        if stack is not None:
            stack.close()


class _Exchange:
    """One request's receive/send pair and what the app answered."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.sent_body = False
        self.done = anyio.Event()
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []

    async def receive(self) -> dict[str, Any]:
        if not self.sent_body:
            self.sent_body = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            self.chunks.append(bytes(message.get("body", b"")))
