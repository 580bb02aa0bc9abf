"""Export in the import format: the same columns an import reads, streamed page by page.

Columns are wire names (the natural-key fields first), then UDFs by name. Cells
are what an import reads back to the same stored value, so exporting and
importing the same file changes nothing. Records are read in keyset pages of
``PAGE`` rows, each in its own short read transaction: memory stays constant.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.fields import Field, format_datetime
from mspcrm.domain.import_columns import EXPORT_FORMATS, EXPORT_LEADING
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.errors import ValidationError
from mspcrm.query.ast import Group
from mspcrm.services.imports import import_entity
from mspcrm.services.records import RecordService
from mspcrm.store import repository

PAGE = 2000
FORMATS = EXPORT_FORMATS


def export_fields(entity: Entity) -> list[Field]:
    leading = [entity.require(name) for name in EXPORT_LEADING.get(entity.name, ())]
    rest = [f for f in entity.writable_fields if f not in leading]
    return leading + rest


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    return str(value)


class ExportService:
    def __init__(self, registry: Registry, records: RecordService) -> None:
        self.registry = registry
        self.records = records

    def columns(self, word: str) -> tuple[Entity, list[Field], list[UdfDefinition]]:
        entity = import_entity(self.registry, word)
        with self.records.db.read() as conn:
            udfs = self.records.udf_definitions(conn, entity)
        return entity, export_fields(entity), udfs

    def records_of(self, entity: Entity) -> Iterator[dict[str, Any]]:
        after: int | None = None
        while True:
            with self.records.db.read() as conn:
                page = repository.select_page(
                    conn, entity, Group("and", ()), limit=PAGE, after_id=after
                )
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1]["id"]

    def stream(self, word: str, fmt: str) -> Iterator[str]:
        """The export as text chunks (one per page of records)."""
        if fmt not in FORMATS:
            raise ValidationError(f"Unknown export format {fmt!r}: use csv or json")
        entity, fields, udfs = self.columns(word)
        if fmt == "csv":
            return self._csv(entity, fields, udfs)
        return self._json(entity, fields, udfs)

    def _csv(self, entity: Entity, fields: list[Field], udfs: list[UdfDefinition]) -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([f.name for f in fields] + [d.name for d in udfs])
        for count, record in enumerate(self.records_of(entity), start=1):
            stored = record.get(repository.UDFS) or {}
            cells = [_cell(record.get(f.name)) for f in fields]
            writer.writerow(cells + [d.to_wire(stored.get(d.name)) or "" for d in udfs])
            if count % PAGE == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    def _json(
        self, entity: Entity, fields: list[Field], udfs: list[UdfDefinition]
    ) -> Iterator[str]:
        yield "["
        for count, record in enumerate(self.records_of(entity)):
            stored = record.get(repository.UDFS) or {}
            item = {f.name: _json_value(f, record.get(f.name)) for f in fields}
            item |= {d.name: d.to_wire(stored.get(d.name)) for d in udfs}
            yield ("," if count else "") + "\n" + orjson.dumps(item).decode()
        yield "\n]\n"


def _json_value(f: Field, value: Any) -> Any:
    return None if value is None else f.to_wire(value)
