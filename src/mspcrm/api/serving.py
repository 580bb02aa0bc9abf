"""How ``mspcrm serve`` runs the app on a socket: slow clients cut off, forwarded addresses
believed only from the proxies the operator lists.

uvicorn's HTTP/1.1 protocol times out an idle keep-alive connection but never a request
whose headers or body trickle in, so a client can hold a connection (and, once its
headers are in, an integration code's thread slot) for as long as it likes.
``timed_protocol`` returns its h11 protocol with three timers:

* **headers**: from a connection's start, or the first byte of a request on a kept-alive
  connection, the whole head must arrive within ``header_timeout`` (else a 408 and the
  connection is closed; the app never sees the request);
* **body**: the gap between two body chunks (``body_idle_timeout``) and the whole body
  (``body_timeout``, from the end of the head); past either the connection is closed and
  the app's next ``receive`` is a disconnect, so the handler ends and frees its slot.
  Time while uvicorn itself has paused reading (the app is not reading the body yet), or
  while the client waits for our ``100 Continue``, does not count against the client.

``X-Forwarded-For``: uvicorn believes it from 127.0.0.1 unless told otherwise; here it is
believed only from ``forwarded_allow_ips`` (none by default), and the app reads the client
address only from the ASGI scope, which uvicorn's proxy middleware sets: one answer.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from starlette.types import ASGIApp
from uvicorn import Config
from uvicorn.protocols.http.h11_impl import H11Protocol

from mspcrm.config import Settings

log = logging.getLogger("mspcrm.api")

TIMEOUT_BODY = b"The request headers did not arrive in time"
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: "
    + str(len(TIMEOUT_BODY)).encode()
    + b"\r\n\r\n"
    + TIMEOUT_BODY
)


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with header and body read timeouts (0: none)."""

    header_timeout = 10.0
    body_idle_timeout = 30.0
    body_timeout = 120.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_deadline: float | None = None
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_state()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow_state()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        self._cancel_body_timer()
        super().connection_lost(exc)

    # ---- which timer runs follows h11's view of the client -----------------------------
    def _follow_state(self) -> None:
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:  # between requests, or a head not yet complete
            self._cancel_body_timer()
            self._body_deadline = None
            if self._partial_head():
                self._arm_header_timer()
            return
        self._cancel_header_timer()
        if state is h11.SEND_BODY:
            if self._body_deadline is None and self.body_timeout > 0:
                self._body_deadline = self.loop.time() + self.body_timeout
            self._arm_body_timer()
            return
        self._cancel_body_timer()
        self._body_deadline = None

    def _partial_head(self) -> bool:
        data, _closed = self.conn.trailing_data
        return bool(data)

    # ---- headers ------------------------------------------------------------------------
    def _arm_header_timer(self) -> None:
        if self._header_timer is None and self.header_timeout > 0:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a response is still being written; the keep-alive logic follows it
        log.warning(
            "closed a connection from %s: request headers not complete in %g s",
            _peer(self.client),
            self.header_timeout,
        )
        self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()

    # ---- body ---------------------------------------------------------------------------
    def _arm_body_timer(self) -> None:
        self._cancel_body_timer()
        waits = [w for w in (self.body_idle_timeout,) if w > 0]
        if self._body_deadline is not None:
            waits.append(max(0.0, self._body_deadline - self.loop.time()))
        if waits:
            self._body_timer = self.loop.call_later(min(waits), self._body_late)

    def _server_holds_body(self) -> bool:
        """Reading is paused on our side (the app has not read what came), or the client
        waits for our ``100 Continue`` (sent when the app first reads)."""
        waiting = self.cycle is not None and self.cycle.waiting_for_100_continue
        return bool(self.flow.read_paused or waiting)

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_late(self) -> None:
        self._body_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
            return
        if self._server_holds_body():  # not the client's delay: wait on
            if self._body_deadline is not None:
                self._body_deadline = self.loop.time() + self.body_idle_timeout
            self._arm_body_timer()
            return
        log.warning(
            "closed a connection from %s: request body too slow (%g s between chunks, %g s in all)",
            _peer(self.client),
            self.body_idle_timeout,
            self.body_timeout,
        )
        if self.cycle is not None:
            self.cycle.disconnected = True
            self.cycle.message_event.set()  # the app's receive() now answers a disconnect
        self.transport.close()


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "an unknown peer"


def timed_protocol(settings: Settings) -> type[TimedH11Protocol]:
    """``TimedH11Protocol`` with the timeouts of ``settings``."""
    return type(
        "ConfiguredTimedH11Protocol",
        (TimedH11Protocol,),
        {
            "header_timeout": settings.header_timeout_seconds,
            "body_idle_timeout": settings.body_idle_timeout_seconds,
            "body_timeout": settings.body_timeout_seconds,
        },
    )


def forwarded_allow_ips(settings: Settings) -> list[str]:
    """The peers whose ``X-Forwarded-For`` is believed (none by default)."""
    return [p.strip() for p in settings.forwarded_allow_ips.split(",") if p.strip()]


def server_config(app: ASGIApp, settings: Settings, **options: Any) -> Config:
    """The uvicorn configuration ``mspcrm serve`` runs ``app`` with."""
    trusted = forwarded_allow_ips(settings)
    return Config(
        app,
        host=settings.host,
        port=settings.port,
        http=timed_protocol(settings),
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or [],
        **options,
    )
