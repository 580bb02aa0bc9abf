"""A tiny stand-in for a real Autotask zone (a boundary we don't own): a raw ASGI app
whose answers each test scripts, recording what it was sent and how many ran at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

BASE = "http://autotask.test/ATServicesRest/"


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    at: float


@dataclass
class Answer:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Script = Callable[[Seen, int], Answer]


class FakeAutotask:
    """No lifespan support on purpose: it returns at once for a ``lifespan`` scope."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.seen: list[Seen] = []
        self.running: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.peak_total = 0
        self._lock = threading.Lock()

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        raw = (await receive()).get("body", b"")
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        seen = Seen(
            scope["method"],
            scope["path"],
            scope["query_string"].decode(),
            headers,
            json.loads(raw) if raw else None,
            time.monotonic(),
        )
        answer = self._enter(seen)
        try:
            await anyio.sleep(answer.delay)
        finally:
            self._leave(seen)
        headers_out = [(b"content-type", b"application/json")]
        headers_out += [(k.encode(), v.encode()) for k, v in answer.headers.items()]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers_out})
        await send({"type": "http.response.body", "body": json.dumps(answer.body).encode()})

    def _enter(self, seen: Seen) -> Answer:
        key = seen.path.split("/")[3].lower()  # /ATServicesRest/V1.0/{Entity}/...
        with self._lock:
            self.seen.append(seen)
            self.running[key] = self.running.get(key, 0) + 1
            self.peak[key] = max(self.peak.get(key, 0), self.running[key])
            self.peak_total = max(self.peak_total, sum(self.running.values()))
            return self.script(seen, len(self.seen))

    def _leave(self, seen: Seen) -> None:
        key = seen.path.split("/")[3].lower()
        with self._lock:
            self.running[key] -= 1
