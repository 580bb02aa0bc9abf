"""One import row: columns -> a body, names and labels -> ids and values, natural-key match,
and the row's result.

``ColumnPlan`` reads a file's header once (wire names in any case, Autotask's
import-template names, UDF names); ``RowMapper`` turns each row into checked
values with ``domain.validation.read_body`` (the write path's own reader) and
finds the existing record the row's natural key names, if any.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.fields import Field
from mspcrm.domain.import_columns import COLUMN_ALIASES, NAME_COLUMNS, NATURAL_KEYS, column_key
from mspcrm.domain.picklists import PicklistValue
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.domain.validation import MAX_BODY_KEYS, WriteBody, read_body
from mspcrm.errors import ValidationError
from mspcrm.services.lookups import find_by_name, resolve_names
from mspcrm.store import repository
from mspcrm.store.compile import udf_storage_value

UDFS = repository.UDFS
_SPACES = re.compile(r"\s+")
_INT = re.compile(r"^\s*[-+]?\d+\s*$")


CREATE, UPDATE, UNCHANGED, SKIPPED, ERROR = "create", "update", "unchanged", "skipped", "error"
STATUS_COUNT = {
    CREATE: "created",
    UPDATE: "updated",
    UNCHANGED: "unchanged",
    SKIPPED: "skipped",
    ERROR: "errors",
}


@dataclass(frozen=True)
class RowResult:
    row: int  # the record's number in the file; the header is row 1
    status: str  # create | update | unchanged | skipped | error
    id: int | None = None
    key: str = ""
    errors: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "status": self.status,
            "id": self.id,
            "key": self.key,
            "errors": list(self.errors),
            "changes": list(self.changes),
        }


def utf8_problem(cells: list[str]) -> str | None:
    try:
        "\x1f".join(cells).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end].encode("utf-8", "surrogateescape")
        return f"not valid UTF-8 (byte {bad[:1].hex()}); save the file as UTF-8"
    return None


def cell_problem(number: int, cells: list[str], width: int) -> RowResult | None:
    """A row rejected before its values are read: a wrong cell count, bytes not UTF-8."""
    if len(cells) != width:
        message = f"{len(cells)} cells, but the header has {width} columns"
        return RowResult(number, ERROR, errors=(message,))
    problem = utf8_problem(cells)
    return None if problem is None else RowResult(number, ERROR, errors=(problem,))


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    kind: str  # "field" | "name" | "udf"
    target: str  # wire field name, reference field (for "name") or UDF name


def plan_columns(
    entity: Entity, headers: Sequence[str], udfs: Sequence[UdfDefinition]
) -> list[Column]:
    """Map a header row to columns; every unknown or repeated column is reported at once."""
    columns: list[Column] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    for index, header in enumerate(headers):
        if not header.strip():
            continue
        column = _column(entity, index, header, udfs)
        if column is None:
            problems.append(f"Unknown column {header!r} for {entity.name} imports")
            continue
        slot = ("udf" if column.kind == "udf" else "field", column.target)
        if slot in seen:
            problems.append(f"Columns {seen[slot]!r} and {header!r} both give {column.target}")
        seen[slot] = header
        columns.append(column)
    if problems:
        raise ValidationError(*problems)
    return columns


def _column(
    entity: Entity, index: int, header: str, udfs: Sequence[UdfDefinition]
) -> Column | None:
    key = column_key(header)
    by_key = {column_key(f.name): f.name for f in entity.fields}
    for alias, target in entity.aliases.items():
        by_key.setdefault(column_key(alias), target)
    by_key.update({k: v for k, v in COLUMN_ALIASES.get(entity.name, {}).items() if k not in by_key})
    if key in by_key:
        return Column(index, header, "field", by_key[key])
    names = {column_key(a): t for a, t in entity.name_inputs.items()}  # "country" -> countryID
    if key in names:
        return Column(index, header, "name", names[key])
    if key in NAME_COLUMNS.get(entity.name, {}):
        return Column(index, header, "name", NAME_COLUMNS[entity.name][key])
    udf = next((d.name for d in udfs if column_key(d.name) == key), None)
    return None if udf is None else Column(index, header, "udf", udf)


@dataclass(frozen=True)
class NaturalKey:
    """A row's natural key: its fields, the values compared (text lower-cased), as shown."""

    fields: tuple[str, ...]
    lookup: tuple[Any, ...]
    text: str


@dataclass
class MappedRow:
    read: WriteBody
    existing_id: int | None = None
    key: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    udf_changes: dict[str, Any] = field(default_factory=dict)


class RowMapper:
    """Per import: the column plan, picklist labels and name look-ups (cached)."""

    def __init__(
        self,
        registry: Registry,
        entity: Entity,
        columns: list[Column],
        picklists: Mapping[str, list[PicklistValue]],
        udfs: Sequence[UdfDefinition],
        *,
        strict: bool,
    ) -> None:
        self.registry = registry
        self.entity = entity
        self.columns = columns
        self.strict = strict
        self.udf_checks = {d.name: d.check for d in udfs}
        self.labels = {
            name: {_fold(v.label): v.value for v in values} for name, values in picklists.items()
        }
        self.choices = {
            name: [v.label for v in vs if v.is_active] for name, vs in picklists.items()
        }
        self._names: dict[tuple[str, str, int | None], int] = {}
        self._plan = _reading_plan(entity, columns, set(self.labels))
        self._key_shapes = [
            tuple((n, entity.require(n).is_text) for n in names)
            for names in NATURAL_KEYS.get(entity.name, ())
        ]

    # ---- cells -> body ------------------------------------------------------------------
    def body(self, cells: Sequence[str]) -> tuple[dict[str, Any], dict[str, str]]:
        """The write body and the names to resolve; blank cells are not given."""
        body: dict[str, Any] = {}
        names: dict[str, str] = {}
        udfs: list[dict[str, Any]] = []
        problems: list[str] = []
        for column in self.columns:
            cell = cells[column.index].strip()
            if not cell:
                continue
            if column.kind == "name":
                names[column.target] = _SPACES.sub(" ", cell)
            elif column.kind == "udf":
                udfs.append({"name": column.target, "value": cell})
            elif column.target in self.labels:
                try:
                    body[column.target] = self._picklist(column, cell)
                except ValidationError as exc:
                    problems.extend(exc.errors)
            else:
                body[column.target] = cell
        if problems:
            raise ValidationError(*problems)
        if udfs:
            body[UDFS] = udfs
        return body, names

    def _picklist(self, column: Column, cell: str) -> int | str:
        if _INT.match(cell):
            return cell
        found = self.labels[column.target].get(_fold(cell))
        if found is None:
            allowed = ", ".join(self.choices[column.target]) or "none"
            raise ValidationError(
                f"Unknown {column.header} {cell!r}: not a label of the {self.entity.name}."
                f"{column.target} picklist (use one of: {allowed}, or its number)"
            )
        return found

    # ---- body -> checked values, names resolved -----------------------------------------
    def read(self, conn: Connection, cells: Sequence[str]) -> WriteBody:
        body, names = self.body(cells)
        read = read_body(self.entity, body, self.udf_checks, strict=self.strict)
        resolve_names(conn, self.registry, self.entity, read)
        self._resolve_all(conn, read, names)
        return read

    def read_fast(self, conn: Connection, cells: Sequence[str]) -> WriteBody:
        """``read`` for a row without problems, each column's reading resolved once per
        import; on any problem it raises, not always with ``read``'s messages: call
        ``read`` for those."""
        if self._plan is None:
            return self.read(conn, cells)
        read = WriteBody()
        names: dict[str, str] = {}
        values, udfs = read.values, read.udfs
        for how, column, field_ in self._plan:
            cell = cells[column.index].strip()
            if not cell:
                continue
            if how is _VALUE:
                assert field_ is not None
                values[field_.name] = field_.kind.coerce(field_.name, cell)
            elif how is _PICKLIST:
                assert field_ is not None
                values[field_.name] = field_.kind.coerce(field_.name, self._picklist(column, cell))
            elif how is _UDF:
                udfs[column.target] = self.udf_checks[column.target](cell)
            elif how is _NAME:
                names[column.target] = _SPACES.sub(" ", cell)
            elif how is _ID:
                assert field_ is not None
                read.id = field_.kind.coerce(field_.name, cell)
        self._resolve_all(conn, read, names)
        return read

    def _resolve_all(self, conn: Connection, read: WriteBody, names: dict[str, str]) -> None:
        parent = self.entity.parent.field if self.entity.parent else "companyID"
        for target in sorted(names, key=lambda t: t != parent):  # the company first
            if read.values.get(target) is None:
                read.values[target] = self._resolve(conn, read, target, names[target])

    def _resolve(self, conn: Connection, read: WriteBody, target: str, text: str) -> int:
        reference = self.entity.require(target).reference
        assert reference is not None
        referenced = self.registry.by_name(reference)
        scope_field = referenced.parent.field if referenced.parent else None
        scope = read.values.get(scope_field) if scope_field else None
        cache_key = (target, _fold(text), scope)
        if cache_key in self._names:
            return self._names[cache_key]
        found = self._find(conn, referenced, text, scope_field, scope)
        if found is None:
            where = f" of company {scope}" if scope is not None else ""
            raise ValidationError(
                f"Unknown {referenced.name} {text!r}{where} for {target}: give the name of "
                f"exactly one existing {referenced.name}, or {target}"
            )
        self._names[cache_key] = found
        return found

    def _find(
        self, conn: Connection, entity: Entity, text: str, scope_field: str | None, scope: Any
    ) -> int | None:
        if scope_field is None or scope is None:
            return find_by_name(conn, entity, text)
        for name in entity.lookup_fields:
            ids = repository.find_ids(conn, entity, {scope_field: scope, name: text}, limit=2)
            if len(ids) == 1:
                return ids[0]
        return None

    # ---- natural keys ---------------------------------------------------------------------
    def match(self, conn: Connection, read: WriteBody) -> MappedRow:
        """The existing record the row names (by id or natural key) and what would change."""
        row = MappedRow(read)
        if read.id not in (None, 0):
            if repository.get(conn, self.entity, read.id) is None:
                raise ValidationError(f"id {read.id}: no {self.entity.name} with that id")
            row.existing_id, row.key = read.id, f"id {read.id}"
        else:
            row.existing_id, row.key = self._by_key(conn, read.values)
        if row.existing_id is not None:
            current = repository.get(conn, self.entity, row.existing_id)
            assert current is not None
            self.compare(row, current)
        return row

    def compare(self, row: MappedRow, current: Mapping[str, Any]) -> None:
        """Fill in what the row would change in ``current`` (its stored record)."""
        keys = self.key_fields(row.read.values)
        values = row.read.values
        row.changes = {k: v for k, v in values.items() if not _same(current.get(k), v, k in keys)}
        stored = current.get(UDFS) or {}
        row.udf_changes = {
            k: v for k, v in row.read.udfs.items() if stored.get(k) != udf_storage_value(v)
        }

    def key_fields(self, values: Mapping[str, Any]) -> tuple[str, ...]:
        """The natural key the row gives: the first whose fields are all there."""
        for names in NATURAL_KEYS.get(self.entity.name, ()):
            if all(values.get(n) not in (None, "") for n in names):
                return names
        return ()

    def natural_keys(self, values: Mapping[str, Any]) -> list[NaturalKey]:
        """Every natural key ``values`` give, the one a row is matched by first."""
        found = []
        for shape in self._key_shapes:
            if all(values.get(n) not in (None, "") for n, _ in shape):
                found.append(_natural_key(shape, values))
        return found

    def _by_key(self, conn: Connection, values: dict[str, Any]) -> tuple[int | None, str]:
        names = self.key_fields(values)
        if names:
            equals = {n: _key_value(values[n]) for n in names}
            ids = repository.find_ids(conn, self.entity, equals, limit=2)
            key = ", ".join(f"{n}={equals[n]!r}" for n in names)
            if len(ids) > 1:
                raise ValidationError(
                    f"{key} matches more than one {self.entity.name} ({ids[0]}, {ids[1]}, ...): "
                    "give an id column to say which"
                )
            return (ids[0] if ids else None), key
        return None, ""


_VALUE, _PICKLIST, _UDF, _NAME, _ID, _IGNORED = "value", "picklist", "udf", "name", "id", "-"
Reading = tuple[str, Column, Field | None]


def _reading_plan(
    entity: Entity, columns: Sequence[Column], picklists: set[str]
) -> list[Reading] | None:
    """How ``read_body`` reads each column's cell, decided once (None: a column it reads in
    a way ``read_fast`` does not, so every row goes through ``read``)."""
    if len(columns) > MAX_BODY_KEYS:
        return None
    plan: list[Reading] = []
    for column in columns:
        if column.kind in ("udf", "name"):
            plan.append((_UDF if column.kind == "udf" else _NAME, column, None))
            continue
        lowered = column.target.lower()
        alias = next((t for a, t in entity.aliases.items() if a.lower() == lowered), None)
        declared = entity.field(alias or column.target)
        if declared is None or any(a.lower() == lowered for a in entity.name_inputs):
            return None
        if declared.name == "id":
            plan.append((_ID, column, declared))
        elif declared.read_only:
            plan.append((_IGNORED, column, declared))
        else:
            plan.append((_PICKLIST if column.target in picklists else _VALUE, column, declared))
    return plan


def _natural_key(shape: tuple[tuple[str, bool], ...], values: Mapping[str, Any]) -> NaturalKey:
    """The key as ``RowMapper._by_key`` shows it and ``repository.find_ids`` compares it."""
    equals = [(n, _key_value(values[n]), text) for n, text in shape]
    lookup = tuple(v.lower() if text and isinstance(v, str) else v for _, v, text in equals)
    shown = ", ".join(f"{n}={v!r}" for n, v, _ in equals)
    return NaturalKey(tuple(n for n, _ in shape), lookup, shown)


def _same(stored: Any, given: Any, key: bool) -> bool:
    """Equal; for a natural-key field, text equal ignoring case and runs of whitespace too
    (the key matched that way; a spreadsheet's spelling does not rename the record)."""
    if key and isinstance(stored, str) and isinstance(given, str):
        return _fold(stored) == _fold(given)
    return bool(stored == given)


def _fold(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower()


def _key_value(value: Any) -> Any:
    return _SPACES.sub(" ", value).strip() if isinstance(value, str) else value


def write_body(values: Mapping[str, Any], udfs: Mapping[str, Any]) -> dict[str, Any]:
    """Checked values back into a body for the write path (which reads it again)."""
    body: dict[str, Any] = dict(values)
    if udfs:
        body[UDFS] = [{"name": k, "value": v} for k, v in udfs.items()]
    return body
