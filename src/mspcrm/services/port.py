"""The in-process adapter of the workflow port: the services, inside one transaction.

A ``ServicePort`` made for one connection (``db.write()``) runs a workflow's reads and
writes in that transaction: any error rolls everything back. Made without one, it reads
only, each page in its own short read transaction (a long audit never holds one open).
Writes go through ``RecordService`` (validation, rules, history) as the REST API's do;
records come back as the REST API shows them (wire objects).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity
from mspcrm.errors import ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.records import RecordService
from mspcrm.store import hot, repository

PAGE = 500
EVERYTHING = {"op": "exist", "field": "id"}


class ServicePort:
    """``mspcrm.workflows.port.Port`` over the services in ``conn``'s transaction."""

    def __init__(
        self, records: RecordService, conn: Connection | None = None, actor: Actor | None = None
    ) -> None:
        self.records, self.conn, self.actor = records, conn, actor
        self.transactional = conn is not None

    def _reading(self) -> AbstractContextManager[Connection]:
        return nullcontext(self.conn) if self.conn is not None else self.records.db.read()

    def _writing(self) -> tuple[Connection, Actor]:
        if self.conn is None or self.actor is None:
            raise ValidationError("This workflow writes: it needs a transaction and an actor")
        return self.conn, self.actor

    def _entity(self, name: str) -> Entity:
        return self.records.registry.by_name(name)

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
        document = {"filter": list(filter) or [EVERYTHING]}
        after: int | None = None
        while True:
            with self._reading() as conn:
                query = self.records.parse(conn, declared, document)
                udfs = self.records.udf_definitions(conn, declared)
                rows = repository.select_page(
                    conn, declared, query.where, limit=PAGE, after_id=after, raw=True
                )
            items = hot.wire_rows(declared, self.records.db.dialect, rows, udfs)
            yield from items
            if len(items) < PAGE:
                return
            after = int(items[-1]["id"])

    def count(self, entity: str, filter: Sequence[dict[str, Any]]) -> int:
        declared = self._entity(entity)
        with self._reading() as conn:
            query = self.records.parse(conn, declared, {"filter": list(filter) or [EVERYTHING]})
            return repository.count(conn, declared, query.where)

    def picklist(self, entity: str, field: str) -> Mapping[Any, str]:
        with self._reading() as conn:
            choices = self.records.picklists(conn, self._entity(entity)).get(field, [])
        return {c.value: c.label for c in choices if c.is_active}

    # ---- writes -----------------------------------------------------------------------
    def create(self, entity: str, body: Mapping[str, Any]) -> int:
        conn, actor = self._writing()
        return self.records.create_in(conn, self._entity(entity), dict(body), actor)

    def update(
        self, entity: str, record_id: int, body: Mapping[str, Any], *, parent_id: int | None = None
    ) -> int:
        conn, actor = self._writing()
        declared = self._entity(entity)
        return self.records.update_in(
            conn, declared, dict(body), actor, record_id=record_id, parent_id=parent_id
        )

    def delete(self, entity: str, record_id: int, *, parent_id: int | None = None) -> None:
        conn, actor = self._writing()
        self.records.delete_in(conn, self._entity(entity), record_id, actor, parent_id=parent_id)
