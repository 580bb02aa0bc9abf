"""The port every workflow is written against: records of an entity, by its REST name.

Two adapters satisfy it structurally: ``mspcrm.services.port.ServicePort`` (the
services, inside one database transaction) and ``mspcrm.sdk.port.RestPort`` (the
plain Autotask REST API of a tenant, or of mspcrm). Records are wire objects
(camelCase keys, as the REST API answers them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from mspcrm.domain.entities import build_registry
from mspcrm.domain.entity import Entity
from mspcrm.errors import NotFoundError

Record = dict[str, Any]
Condition = dict[str, Any]
IN_LIMIT = 500  # Autotask: at most 500 values in one "in" condition
REGISTRY = build_registry()


class Port(Protocol):
    """Get, query (paged lazily), count, create, update and delete records of an entity
    named by its REST path (``Companies``, ``Contacts``, ``ContactRoles``, ...).

    ``transactional``: whether a failure undoes the writes made before it."""

    transactional: bool

    def get(self, entity: str, record_id: int) -> Record | None: ...

    def query(
        self, entity: str, filter: Sequence[Condition], *, fields: Sequence[str] | None = None
    ) -> Iterator[Record]: ...

    def count(self, entity: str, filter: Sequence[Condition]) -> int: ...

    def create(self, entity: str, body: Mapping[str, Any]) -> int: ...

    def update(
        self, entity: str, record_id: int, body: Mapping[str, Any], *, parent_id: int | None = None
    ) -> int:
        """PATCH the fields of ``body``; ``parent_id``: the record's current parent, where it
        is written under its parent (a contact moved to another company is written there)."""
        ...

    def delete(self, entity: str, record_id: int, *, parent_id: int | None = None) -> None:
        """Delete where the target allows it; ``parent_id`` saves a read where the record is
        deleted under its parent (Contacts and CompanyLocations under their company)."""
        ...

    def picklist(self, entity: str, field: str) -> Mapping[Any, str]:
        """A picklist's active values: ``{value: label}`` in the declared order."""
        ...


def eq(field: str, value: Any) -> Condition:
    return {"op": "eq", "field": field, "value": value}


def query_in(
    port: Port,
    entity: str,
    field: str,
    values: Iterable[Any],
    extra: Sequence[Condition] = (),
    *,
    fields: Sequence[str] | None = None,
) -> Iterator[Record]:
    """Records whose ``field`` is one of ``values``: one ``in`` query per 500 values."""
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), IN_LIMIT):
        batch = wanted[start : start + IN_LIMIT]
        condition = {"op": "in", "field": field, "value": batch}
        yield from port.query(entity, [condition, *extra], fields=fields)


def require(port: Port, entity: Entity, record_id: int, what: str = "") -> Record:
    """The record, or ``NotFoundError`` naming ``what`` (default: the entity's name)."""
    found = port.get(entity.path, record_id)
    if found is None:
        raise NotFoundError(
            f"{what or entity.name} not found: no {entity.name} with id {record_id}"
        )
    return found


def typed(entity: Entity, record: Record) -> Record:
    """A wire record with its date-times as ``datetime`` (what the domain rules compare)."""
    out = dict(record)
    for f in entity.fields:
        if f.kind.data_type == "datetime" and isinstance(out.get(f.name), str):
            out[f.name] = f.coerce(out[f.name])
    return out
