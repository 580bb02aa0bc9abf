"""The async twin of ``Client``: the same plans, run with ``await``.

Only the I/O differs (``httpx.AsyncClient``, ``anyio`` semaphores and sleeps);
every route, fallback and mapping is in ``mspcrm.sdk.plans``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar, cast

import anyio
import httpx

from mspcrm.errors import MspcrmError
from mspcrm.sdk import plans, responses, wire
from mspcrm.sdk.base import (
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
    BaseClient,
)
from mspcrm.sdk.metadata import EntityDescription, PicklistValue
from mspcrm.sdk.plans import Pager, Plan, Record
from mspcrm.sdk.query import QueryLike
from mspcrm.sdk.wire import Call, endpoint_key

T = TypeVar("T")


class AsyncClient(BaseClient):
    """``Client`` for asyncio / trio code; ``transport`` is any ``httpx.AsyncBaseTransport``
    (``httpx.ASGITransport(app)`` runs an app in process)."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        username: str,
        secret: str,
        integration_code: str,
        impersonation_resource_id: int | str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
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
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
        self._slots: dict[str, anyio.Semaphore] = {}

    def entity(self, name: str) -> AsyncEntityClient:
        return AsyncEntityClient(self, self._entity_path(name))

    def __getattr__(self, name: str) -> AsyncEntityClient:
        return self.entity(self._known_attribute(name))

    async def describe(self, name: str) -> EntityDescription:
        path = self._entity_path(name)
        cached = self._cached_description(path)
        return cached or self._remember(await self.run(plans.describe(path)))

    async def api_url(self) -> str:
        if self._root is None:  # two concurrent discoveries agree; no lock needed
            self._root = await self.run(plans.discover(self.base_url, self.username))
        return self._root

    async def run(self, plan: Plan[T]) -> T:
        try:
            call = next(plan)
            while True:
                try:
                    answer = await self.send(call)
                except MspcrmError as exc:
                    call = plan.throw(exc)
                else:
                    call = plan.send(answer)
        except StopIteration as stop:
            return cast(T, stop.value)

    async def iterate(self, pager: Pager) -> AsyncIterator[Record]:
        call: Call | None = pager.first
        while call is not None:
            page = await self.run(pager.fetch(call))
            for item in page.items:
                yield item
            call = page.next

    async def send(self, call: Call) -> Any:
        root = None if call.absolute else await self.api_url()
        request = self._request(self._http, call, root)
        slot = self._slot(endpoint_key(str(request.url)))
        attempt = 0
        while True:
            try:
                async with slot:
                    response = await self._http.send(request)
            except httpx.TransportError as exc:
                await anyio.sleep(self._failure_delay(exc, request, attempt))
                attempt += 1
                continue
            delay = self._retry_delay(response, attempt)
            if delay is None:
                return responses.decode(response)
            await anyio.sleep(delay)
            attempt += 1

    def _slot(self, key: str | None) -> contextlib.AbstractAsyncContextManager[Any]:
        if key is None:
            return contextlib.nullcontext()
        if key not in self._slots:  # no await in between: no race within one event loop
            self._slots[key] = anyio.Semaphore(self.max_in_flight)
        return self._slots[key]

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncEntityClient:
    """``EntityClient`` with ``await``; ``query`` is an async iterator."""

    def __init__(self, client: AsyncClient, path: str) -> None:
        self.client = client
        self.path = path

    async def get(self, record_id: int) -> Record | None:
        return await self.client.run(plans.get(wire.entity_path(self.path, record_id)))

    def query(
        self,
        filter: QueryLike = None,
        *,
        include_fields: Iterable[str] | None = None,
        max_records: int | None = None,
    ) -> AsyncIterator[Record]:
        pager = plans.query_pager(
            self.path, filter, include_fields=include_fields, max_records=max_records
        )
        return self.client.iterate(pager)

    async def first(self, filter: QueryLike = None) -> Record | None:
        async for record in self.query(filter, max_records=1):
            return record
        return None

    async def count(self, filter: QueryLike = None) -> int:
        return await self.client.run(plans.count(self.path, filter))

    async def create(self, body: Mapping[str, Any]) -> int:
        return await self.client.run(plans.write(self.path, "POST", body))

    async def update(self, body: Mapping[str, Any]) -> int:
        return await self.client.run(plans.write(self.path, "PATCH", body))

    async def replace(self, body: Mapping[str, Any]) -> int:
        return await self.client.run(plans.write(self.path, "PUT", body))

    async def delete(self, record_id: int, *, parent_id: int | None = None) -> None:
        await self.client.run(plans.delete(self.path, record_id, parent_id))

    async def info(self) -> dict[str, Any]:
        return cast(dict[str, Any], await self.client.run(plans.metadata(self.path)))

    async def fields(self) -> list[dict[str, Any]]:
        return cast(
            list[dict[str, Any]], await self.client.run(plans.metadata(self.path, "fields"))
        )

    async def udfs(self) -> list[dict[str, Any]]:
        plan = plans.metadata(self.path, "userDefinedFields")
        return cast(list[dict[str, Any]], await self.client.run(plan))

    async def describe(self) -> EntityDescription:
        return await self.client.describe(self.path)

    async def picklist(self, field: str) -> dict[str, PicklistValue]:
        return dict((await self.describe()).picklist(field).by_label)

    def children(self, parent_id: int, child: str) -> AsyncChildClient:
        return AsyncChildClient(self.client, self.path, parent_id, child)

    def __repr__(self) -> str:
        return f"<AsyncEntityClient {self.path}>"


class AsyncChildClient:
    """``ChildClient`` with ``await``."""

    def __init__(self, client: AsyncClient, parent: str, parent_id: int, child: str) -> None:
        self.client = client
        self.path = wire.entity_path(parent, parent_id, child)

    def list(self) -> AsyncIterator[Record]:
        return self.client.iterate(plans.children_pager(self.path))

    def __aiter__(self) -> AsyncIterator[Record]:
        return self.list()

    async def get(self, record_id: int) -> Record | None:
        return await self.client.run(plans.get(f"{self.path}/{record_id}"))

    async def create(self, body: Mapping[str, Any]) -> int:
        return await self.client.run(plans.child_write(self.path, "POST", body))

    async def update(self, body: Mapping[str, Any]) -> int:
        return await self.client.run(plans.child_write(self.path, "PATCH", body))

    async def replace(self, body: Mapping[str, Any]) -> int:
        return await self.client.run(plans.child_write(self.path, "PUT", body))

    async def delete(self, record_id: int) -> None:
        await self.client.run(plans.send(Call("DELETE", f"{self.path}/{record_id}")))
