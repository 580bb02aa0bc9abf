"""How ``mspcrm serve`` runs the app on a socket: slow clients cut off, forwarded addresses
believed only from the proxies the operator lists.

uvicorn's HTTP/1.1 protocols (httptools and h11) time out an idle keep-alive connection
but never a request whose headers or body trickle in, so a client can hold a connection
(and, once its headers are in, an integration code's thread slot) for as long as it
likes. ``timed_protocol`` returns uvicorn's protocol (httptools when installed, as uvicorn
itself picks, else h11) with three timers (``ReadTimers``):

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
from dataclasses import dataclass
from typing import Any

import h11
from starlette.types import ASGIApp
from uvicorn import Config
from uvicorn.protocols.http.h11_impl import H11Protocol

from mspcrm.config import Settings

log = logging.getLogger("mspcrm.api")

HTTP_IMPLEMENTATIONS = ("auto", "httptools", "h11")
LATE_HEAD = b"The request headers did not arrive in time"
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: "
    + str(len(LATE_HEAD)).encode()
    + b"\r\n\r\n"
    + LATE_HEAD
)
HEAD, BODY, BETWEEN = "head", "body", "between"  # where a connection's current request is


@dataclass(frozen=True)
class ReadTimeouts:
    """Seconds (0: no limit); kept on uvicorn's ``Config`` as ``read_timeouts``, so every
    protocol instance (in every worker process) reads the same."""

    header: float = 10.0
    body_idle: float = 30.0
    body: float = 120.0


class ReadTimers:
    """Header and body read timeouts for a uvicorn HTTP protocol (0 turns one off).

    The protocol reports where its request is: ``_head_begins`` (a connection opened, or
    the first byte of a request), ``_head_complete``, ``_body_progress`` (a chunk came),
    ``_message_complete``; ``_stop_timers`` when the connection is lost.
    """

    header_timeout = ReadTimeouts.header
    body_idle_timeout = ReadTimeouts.body_idle
    body_timeout = ReadTimeouts.body

    # provided by uvicorn's protocol classes
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    flow: Any
    cycle: Any
    client: tuple[str, int] | None

    _phase = BETWEEN
    _header_timer: asyncio.TimerHandle | None = None
    _body_timer: asyncio.TimerHandle | None = None
    _body_deadline: float | None = None

    def _configure_timers(self, config: Config) -> None:
        timeouts = getattr(config, "read_timeouts", None) or ReadTimeouts()
        self.header_timeout = timeouts.header
        self.body_idle_timeout = timeouts.body_idle
        self.body_timeout = timeouts.body

    # ---- what the protocol reports ------------------------------------------------------
    def _head_begins(self) -> None:
        self._phase = HEAD
        if self._header_timer is None and self.header_timeout > 0:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _head_complete(self) -> None:
        self._cancel_header_timer()
        self._phase = BODY
        deadline = self.body_timeout
        self._body_deadline = self.loop.time() + deadline if deadline > 0 else None
        self._arm_body_timer()

    def _body_progress(self) -> None:
        if self._phase == BODY:
            self._arm_body_timer()

    def _message_complete(self) -> None:
        self._phase = BETWEEN
        self._cancel_header_timer()
        self._cancel_body_timer()
        self._body_deadline = None

    def _stop_timers(self) -> None:
        self._cancel_header_timer()
        self._cancel_body_timer()

    # ---- headers ------------------------------------------------------------------------
    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self._phase != HEAD:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._head_begins()  # a pipelined head behind a response still being written
            return
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
        waits = [self.body_idle_timeout] if self.body_idle_timeout > 0 else []
        if self._body_deadline is not None:
            waits.append(max(0.0, self._body_deadline - self.loop.time()))
        if waits:
            self._body_timer = self.loop.call_later(min(waits), self._body_late)

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _server_holds_body(self) -> bool:
        """Reading is paused on our side (the app has not read what came), or the client
        waits for our ``100 Continue`` (sent when the app first reads)."""
        waiting = self.cycle is not None and self.cycle.waiting_for_100_continue
        return bool(self.flow.read_paused or waiting)

    def _body_late(self) -> None:
        self._body_timer = None
        if self.transport.is_closing() or self._phase != BODY:
            return
        if self._server_holds_body():  # not the client's delay: wait on
            if self._body_deadline is not None:
                self._body_deadline = self.loop.time() + max(self.body_idle_timeout, 1.0)
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


class TimedH11Protocol(ReadTimers, H11Protocol):
    """uvicorn's h11 protocol with read timeouts: the timers follow h11's client state."""

    def __init__(self, config: Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._configure_timers(config)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._head_begins()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_state()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow_state()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timers()
        super().connection_lost(exc)

    def _follow_state(self) -> None:
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:  # between requests, or a head not yet complete
            if self.conn.trailing_data[0]:
                self._head_begins()
            elif self._phase == BODY:
                self._message_complete()
        elif state is h11.SEND_BODY:
            if self._phase != BODY:
                self._head_complete()
            else:
                self._body_progress()
        elif self._phase != BETWEEN:
            self._message_complete()


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools not installed: h11 only
    TimedHttpToolsProtocol: type[asyncio.Protocol] | None = None
else:

    class _TimedHttpToolsProtocol(ReadTimers, HttpToolsProtocol):
        """uvicorn's httptools protocol with read timeouts: the timers follow the parser's
        callbacks."""

        def __init__(self, config: Config, *args: Any, **kwargs: Any) -> None:
            super().__init__(config, *args, **kwargs)
            self._configure_timers(config)

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[arg-type]
            self._head_begins()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_timers()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_begins()

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self._head_complete()

        def on_body(self, body: bytes) -> None:
            super().on_body(body)
            self._body_progress()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._message_complete()

    TimedHttpToolsProtocol = _TimedHttpToolsProtocol


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "an unknown peer"


def timed_protocol(implementation: str = "auto") -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol with read timeouts (``auto``: httptools when installed,
    as uvicorn picks, else h11). Module-level classes: a worker process can import them."""
    if implementation not in HTTP_IMPLEMENTATIONS:
        raise ValueError(f"http must be one of {', '.join(HTTP_IMPLEMENTATIONS)}")
    if implementation == "h11":
        return TimedH11Protocol
    if TimedHttpToolsProtocol is None and implementation == "httptools":
        raise ValueError("http 'httptools' needs the httptools package")
    return TimedHttpToolsProtocol or TimedH11Protocol


def read_timeouts(settings: Settings) -> ReadTimeouts:
    return ReadTimeouts(
        header=settings.header_timeout_seconds,
        body_idle=settings.body_idle_timeout_seconds,
        body=settings.body_timeout_seconds,
    )


def forwarded_allow_ips(settings: Settings) -> list[str]:
    """The peers whose ``X-Forwarded-For`` is believed (none by default)."""
    return [p.strip() for p in settings.forwarded_allow_ips.split(",") if p.strip()]


def server_config(app: ASGIApp | str, settings: Settings, **options: Any) -> Config:
    """The uvicorn configuration ``mspcrm serve`` runs ``app`` with (an import string for
    several worker processes)."""
    trusted = forwarded_allow_ips(settings)
    config = Config(
        app,
        host=settings.host,
        port=settings.port,
        http=timed_protocol(settings.http),
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or [],
        **options,
    )
    config.read_timeouts = read_timeouts(settings)  # type: ignore[attr-defined]
    return config
