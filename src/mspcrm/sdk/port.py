"""The REST adapter of the workflow port: any Autotask-compatible server's plain API.

``RestPort`` satisfies ``mspcrm.workflows.port.Port`` structurally (the SDK imports
nothing of the server): get, query (paged through ``nextPageUrl``), count, create,
update (PATCH), delete, and picklists from ``entityInformation/fields``. It works on a
real tenant and on mspcrm in autotask mode alike; no ``/api/v1`` is needed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mspcrm.sdk import plans, wire

if TYPE_CHECKING:
    from mspcrm.sdk.client import Client


class RestPort:
    """The workflow port over ``client``'s Autotask REST calls."""

    transactional = False  # each write stands on its own

    def __init__(self, client: Client) -> None:
        self.client = client

    def get(self, entity: str, record_id: int) -> dict[str, Any] | None:
        return self.client.entity(entity).get(record_id)

    def query(
        self,
        entity: str,
        filter: Sequence[dict[str, Any]],
        *,
        fields: Sequence[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        include = ["id", *fields] if fields else None
        return self.client.entity(entity).query(list(filter), include_fields=include)

    def count(self, entity: str, filter: Sequence[dict[str, Any]]) -> int:
        return self.client.entity(entity).count(list(filter))

    def picklist(self, entity: str, field: str) -> Mapping[Any, str]:
        return self.client.describe(entity).picklist(field).by_value

    def create(self, entity: str, body: Mapping[str, Any]) -> int:
        return self.client.entity(entity).create(body)

    def update(
        self, entity: str, record_id: int, body: Mapping[str, Any], *, parent_id: int | None = None
    ) -> int:
        route = wire.CHILD_WRITES.get(entity.lower())
        if route is None or parent_id is None:
            return self.client.entity(entity).update({"id": record_id, **body})
        path = wire.entity_path(route.parent, parent_id, route.segment)
        return self.client.run(plans.child_write(path, "PATCH", {"id": record_id, **body}))

    def delete(self, entity: str, record_id: int, *, parent_id: int | None = None) -> None:
        self.client.entity(entity).delete(record_id, parent_id=parent_id)
