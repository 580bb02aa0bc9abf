"""A local webhook receiver on 127.0.0.1 (a fake at a boundary we do not own): it records
every callout and answers with the status the test sets; ``verify`` checks a signature the
way Autotask documents it (escape the received JSON, HMAC-SHA1 with the secret key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ESCAPES = {"&": "\\u0026", "<": "\\u003C", ">": "\\u003E", "'": "\\u0027", '"': "\\u0022",
           "`": "\\u0060", "+": "\\u002B"}  # fmt: skip


def autotask_escape(raw: str) -> str:
    """Autotask's documented escaping of the string values of a JSON text, character by
    character (as Autotask integrations implement it: the n8n node's ``signature.ts``)."""
    out: list[str] = []
    inside = escaped = False
    for ch in raw:
        if ch == '"' and escaped and inside:
            out[-1] = ESCAPES['"']
            escaped = False
            continue
        if ch == "\\" and not escaped:
            escaped = True
            out.append(ch)
            continue
        if ch == '"' and not escaped:
            inside = not inside
            out.append(ch)
        elif inside and not escaped:
            if ch in ESCAPES:
                out.append(ESCAPES[ch])
            elif ord(ch) > 127:
                units = ch.encode("utf-16-be")
                out.append(
                    "".join(f"\\u{units[i]:02X}{units[i + 1]:02X}" for i in range(0, len(units), 2))
                )
            else:
                out.append(ch)
        else:
            out.append(ch)
        escaped = False
    return "".join(out)


def verify(raw: bytes, header: str | None, secret: str) -> bool:
    if not header or not header.startswith("sha1="):
        return False
    escaped = autotask_escape(raw.decode("utf-8"))
    digest = hmac.new(secret.encode(), escaped.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), header[5:])


@dataclass
class Callout:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.raw)
        return value


@dataclass
class Receiver:
    host: str = "127.0.0.1"
    port: int = 0
    status: int = 200
    statuses: dict[str, int] = field(default_factory=dict)  # by path, over ``status``
    delay: float = 0.0  # seconds before answering
    headers: dict[str, str] = field(default_factory=dict)
    calls: list[Callout] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def received(self, path: str | None = None) -> list[Callout]:
        with self.lock:
            return [c for c in self.calls if path is None or c.path == path]


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            with receiver.lock:
                receiver.calls.append(Callout(self.path, dict(self.headers), raw))
            if receiver.delay:
                time.sleep(receiver.delay)
            try:
                self.send_response(receiver.statuses.get(self.path, receiver.status))
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the sender was killed mid-callout (the crash test)
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
