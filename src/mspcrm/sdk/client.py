"""The synchronous client for any Autotask-compatible server: ours or a real tenant."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any, TypeVar, cast

import httpx

from mspcrm.errors import MspcrmError
from mspcrm.sdk import plans, responses
from mspcrm.sdk.base import (
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
    BaseClient,
)
from mspcrm.sdk.entities import EntityClient
from mspcrm.sdk.metadata import EntityDescription
from mspcrm.sdk.native import NativeClient
from mspcrm.sdk.plans import Pager, Plan, Record
from mspcrm.sdk.wire import Call, endpoint_key

T = TypeVar("T")


class Client(BaseClient):
    """A thread-safe client of ``/ATServicesRest/V1.0``.

    ``base_url`` may be the API root (``.../ATServicesRest/``), a host root, or
    ``None`` (Autotask's ``webservices.autotask.net``); for the last two the zone is
    discovered through ``ZoneInformation`` on first use. ``transport`` takes any
    ``httpx.BaseTransport``, e.g. ``ASGIInProcessTransport(app)`` to run in process.
    At most ``max_in_flight`` requests run at once per endpoint. Up to ``max_retries``
    times: 429 answers are retried after ``Retry-After``; connection failures, timeouts
    and 502/503/504 with backoff and jitter, for idempotent requests (reads, queries,
    PUT, DELETE) unless ``retry_writes`` opts writes in too. A failure past the retries
    is an ``mspcrm.errors`` exception, never an ``httpx`` one.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        username: str,
        secret: str,
        integration_code: str,
        impersonation_resource_id: int | str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        retry_writes: bool = False,
    ) -> None:
        super().__init__(
            base_url,
            username=username,
            secret=secret,
            integration_code=integration_code,
            impersonation_resource_id=impersonation_resource_id,
            max_in_flight=max_in_flight,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            retry_writes=retry_writes,
        )
        self._http = httpx.Client(transport=transport, timeout=timeout)
        self._root_lock = threading.Lock()
        self._slots_lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    # ---- entities ----------------------------------------------------------------------
    def entity(self, name: str) -> EntityClient:
        """Any entity by its REST path (``"Companies"``); known singulars work too."""
        return EntityClient(self, self._entity_path(name))

    def __getattr__(self, name: str) -> EntityClient:
        """``client.companies``, ``client.company_locations``: known entities by name."""
        return self.entity(self._known_attribute(name))

    @property
    def native(self) -> NativeClient:
        """The mspcrm extension API: duplicate checks, merges, history."""
        return NativeClient(self)

    def describe(self, name: str) -> EntityDescription:
        """Fields and picklists from ``entityInformation/fields``, cached per client."""
        path = self._entity_path(name)
        cached = self._cached_description(path)
        return cached or self._remember(self.run(plans.describe(path)))

    @property
    def api_url(self) -> str:
        """The API root (``.../ATServicesRest/``), discovering the zone if needed."""
        with self._root_lock:
            if self._root is None:
                self._root = self.run(plans.discover(self.base_url, self.username))
            return self._root

    # ---- running plans -----------------------------------------------------------------
    def run(self, plan: Plan[T]) -> T:
        """Drive a plan: send each call it yields, send back the JSON or throw the error."""
        try:
            call = next(plan)
            while True:
                try:
                    answer = self.send(call)
                except MspcrmError as exc:
                    call = plan.throw(exc)
                else:
                    call = plan.send(answer)
        except StopIteration as stop:
            return cast(T, stop.value)

    def iterate(self, pager: Pager) -> Iterator[Record]:
        """The records of every page, fetched one page at a time as they are consumed."""
        call: Call | None = pager.first
        while call is not None:
            page = self.run(pager.fetch(call))
            yield from page.items
            call = page.next

    def send(self, call: Call) -> Any:
        """One call: the decoded JSON, or the mapped ``mspcrm.errors`` exception."""
        request = self._request(self._http, call, None if call.absolute else self.api_url)
        attempt = 0
        while True:
            try:
                with self._slot(endpoint_key(str(request.url))):
                    response = self._http.send(request)
            except httpx.TransportError as exc:
                time.sleep(self._failure_delay(exc, request, attempt))
                attempt += 1
                continue
            delay = self._retry_delay(response, attempt)
            if delay is None:
                return responses.decode(response)
            time.sleep(delay)
            attempt += 1

    def _slot(self, key: str | None) -> contextlib.AbstractContextManager[Any]:
        if key is None:
            return contextlib.nullcontext()
        with self._slots_lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = threading.BoundedSemaphore(self.max_in_flight)
        return slot

    # ---- lifetime ----------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
