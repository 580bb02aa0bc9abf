"""The in-process adapter of the workflow port: the services, inside one transaction.

A ``ServicePort`` is made for one connection (``db.read()`` or ``db.write()``), so a
workflow's reads and writes share that transaction: any error rolls everything back.
Writes go through ``RecordService`` (validation, rules, history) as the REST API's do;
records come back as the REST API shows them (wire objects).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity
from mspcrm.errors import ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.records import RecordService
from mspcrm.store import hot, repository

PAGE = 500


class ServicePort:
    """``mspcrm.workflows.port.Port`` over the services in ``conn``'s transaction."""

    def __init__(self, records: RecordService, conn: Connection, actor: Actor | None) -> None:
        self.records, self.conn, self.actor = records, conn, actor

    def _entity(self, name: str) -> Entity:
        return self.records.registry.by_name(name)

    def _acting(self) -> Actor:
        if self.actor is None:
            raise ValidationError("This workflow writes: it needs an acting resource")
        return self.actor

    # ---- reads ------------------------------------------------------------------------
    def get(self, entity: str, record_id: int) -> dict[str, Any] | None:
        condition = {"op": "eq", "field": "id", "value": record_id}
        return next(self.query(entity, [condition]), None)

    def query(
        self,
        entity: str,
        filter: Sequence[dict[str, Any]],
        *,
        fields: Sequence[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every matching record in id order, read a page of 500 at a time."""
        declared = self._entity(entity)
        query = self.records.parse(self.conn, declared, {"filter": list(filter)})
        udfs = self.records.udf_definitions(self.conn, declared)
        after: int | None = None
        while True:
            rows = repository.select_page(
                self.conn, declared, query.where, limit=PAGE, after_id=after, raw=True
            )
            items = hot.wire_rows(declared, self.records.db.dialect, rows, udfs)
            yield from items
            if len(items) < PAGE:
                return
            after = int(items[-1]["id"])

    def count(self, entity: str, filter: Sequence[dict[str, Any]]) -> int:
        declared = self._entity(entity)
        query = self.records.parse(self.conn, declared, {"filter": list(filter)})
        return repository.count(self.conn, declared, query.where)

    def picklist(self, entity: str, field: str) -> Mapping[Any, str]:
        choices = self.records.picklists(self.conn, self._entity(entity)).get(field, [])
        return {c.value: c.label for c in choices if c.is_active}

    # ---- writes -----------------------------------------------------------------------
    def create(self, entity: str, body: Mapping[str, Any]) -> int:
        return self.records.create_in(self.conn, self._entity(entity), dict(body), self._acting())

    def update(
        self, entity: str, record_id: int, body: Mapping[str, Any], *, parent_id: int | None = None
    ) -> int:
        return self.records.update_in(
            self.conn,
            self._entity(entity),
            dict(body),
            self._acting(),
            record_id=record_id,
            parent_id=parent_id,
        )

    def delete(self, entity: str, record_id: int, *, parent_id: int | None = None) -> None:
        self.records.delete_in(
            self.conn, self._entity(entity), record_id, self._acting(), parent_id=parent_id
        )
