"""One class for every entity: ``client.entity("Companies")`` or ``client.companies``.

Each method runs a plan from ``mspcrm.sdk.plans``; the logic lives there, shared
with the async twin in ``mspcrm.sdk.aio``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from mspcrm.sdk import plans, wire
from mspcrm.sdk.metadata import EntityDescription, PicklistValue
from mspcrm.sdk.plans import Record
from mspcrm.sdk.query import QueryLike
from mspcrm.sdk.wire import Call

if TYPE_CHECKING:
    from mspcrm.sdk.client import Client


class EntityClient:
    """Reads, writes and metadata of one entity (its REST path, e.g. ``Companies``)."""

    def __init__(self, client: Client, path: str) -> None:
        self.client = client
        self.path = path

    def get(self, record_id: int) -> Record | None:
        """The record, or ``None`` when there is none (404 or ``{"item": null}``)."""
        return self.client.run(plans.get(wire.entity_path(self.path, record_id)))

    def query(
        self,
        filter: QueryLike = None,
        *,
        include_fields: Iterable[str] | None = None,
        max_records: int | None = None,
    ) -> Iterator[Record]:
        """Matching records, lazily, page after page (``max_records`` caps the total)."""
        pager = plans.query_pager(
            self.path, filter, include_fields=include_fields, max_records=max_records
        )
        return self.client.iterate(pager)

    def first(self, filter: QueryLike = None) -> Record | None:
        """The first matching record (lowest id), or ``None``."""
        return next(self.query(filter, max_records=1), None)

    def count(self, filter: QueryLike = None) -> int:
        """How many records match."""
        return self.client.run(plans.count(self.path, filter))

    def create(self, body: Mapping[str, Any]) -> int:
        """POST a new record; its id."""
        return self.client.run(plans.write(self.path, "POST", body))

    def update(self, body: Mapping[str, Any]) -> int:
        """PATCH the fields in ``body`` (which holds the ``id``); the id."""
        return self.client.run(plans.write(self.path, "PATCH", body))

    def replace(self, body: Mapping[str, Any]) -> int:
        """PUT the whole record (fields left out become empty); the id."""
        return self.client.run(plans.write(self.path, "PUT", body))

    def delete(self, record_id: int, *, parent_id: int | None = None) -> None:
        """DELETE the record (under its parent for Contacts and CompanyLocations)."""
        self.client.run(plans.delete(self.path, record_id, parent_id))

    def info(self) -> dict[str, Any]:
        """``entityInformation``: canCreate, canQuery, hasUserDefinedFields, ..."""
        info: dict[str, Any] = self.client.run(plans.metadata(self.path))
        return info

    def fields(self) -> list[dict[str, Any]]:
        """``entityInformation/fields``, as the server sends them."""
        fields: list[dict[str, Any]] = self.client.run(plans.metadata(self.path, "fields"))
        return fields

    def udfs(self) -> list[dict[str, Any]]:
        """``entityInformation/userDefinedFields``."""
        udfs: list[dict[str, Any]] = self.client.run(plans.metadata(self.path, "userDefinedFields"))
        return udfs

    def describe(self) -> EntityDescription:
        """Fields and picklists, cached by the client."""
        return self.client.describe(self.path)

    def picklist(self, field: str) -> dict[str, PicklistValue]:
        """A picklist's active values as ``{label: value}``."""
        return dict(self.describe().picklist(field).by_label)

    def children(self, parent_id: int, child: str) -> ChildClient:
        """A child route: ``client.companies.children(5, "Contacts")``."""
        return ChildClient(self.client, self.path, parent_id, child)

    def __repr__(self) -> str:
        return f"<EntityClient {self.path}>"


class ChildClient:
    """``/{Parent}/{parentId}/{Child}``: list, get, create, update, replace, delete."""

    def __init__(self, client: Client, parent: str, parent_id: int, child: str) -> None:
        self.client = client
        self.path = wire.entity_path(parent, parent_id, child)

    def list(self) -> Iterator[Record]:
        """The parent's children, lazily, page after page."""
        return self.client.iterate(plans.children_pager(self.path))

    def __iter__(self) -> Iterator[Record]:
        return self.list()

    def get(self, record_id: int) -> Record | None:
        return self.client.run(plans.get(f"{self.path}/{record_id}"))

    def create(self, body: Mapping[str, Any]) -> int:
        return self.client.run(plans.child_write(self.path, "POST", body))

    def update(self, body: Mapping[str, Any]) -> int:
        return self.client.run(plans.child_write(self.path, "PATCH", body))

    def replace(self, body: Mapping[str, Any]) -> int:
        return self.client.run(plans.child_write(self.path, "PUT", body))

    def delete(self, record_id: int) -> None:
        self.client.run(plans.send(Call("DELETE", f"{self.path}/{record_id}")))

    def __repr__(self) -> str:
        return f"<ChildClient {self.path}>"
