"""Parse an Autotask query document into a ``Query``.

Keys and field names are matched in any letter case. ``strict`` (the default
mode) rejects unknown operators with a message; the ``autotask`` mode drops
them silently, as Autotask does. Unknown fields are an error in both modes:
``Unable to find {field} in the {Entity} Entity``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Boolean, Field, Text
from mspcrm.errors import PayloadTooLargeError, QueryError, ValidationError
from mspcrm.query.ast import (
    GROUP_OPERATORS,
    LIST_OPERATORS,
    NULL_OPERATORS,
    OPERATORS,
    TEXT_OPERATORS,
    Condition,
    Group,
    Node,
    Query,
    walk_fields,
)

MAX_RECORDS = 500
MAX_LIST_VALUES = 500
MAX_OR_CONDITIONS = 500
MAX_DEPTH = 16
MAX_CONDITIONS = 2000
MAX_SEARCH_CHARS = 200_000
ORDERING = ("gt", "gte", "lt", "lte")


def load_search(text: str) -> Any:
    """The ``search`` parameter: strict JSON, or JSON written with single quotes."""
    if len(text) > MAX_SEARCH_CHARS:
        raise PayloadTooLargeError(f"The search parameter is over {MAX_SEARCH_CHARS} characters")
    try:
        return json.loads(text)
    except ValueError:
        pass
    except RecursionError:
        raise PayloadTooLargeError("The search parameter is nested too deeply") from None
    try:
        return json.loads(_single_to_double_quotes(text))
    except ValueError as exc:
        raise QueryError(f"The search parameter is not valid JSON: {exc}") from None
    except RecursionError:
        raise PayloadTooLargeError("The search parameter is nested too deeply") from None


def _single_to_double_quotes(text: str) -> str:
    """Rewrite 'single-quoted' strings as JSON strings; leave "double-quoted" ones."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "'\"":
            end, body = _read_quoted(text, i, char)
            out.append(f'"{body}"' if char == "'" else text[i : end + 1])
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _read_quoted(text: str, start: int, quote: str) -> tuple[int, str]:
    """The end of a quoted string and its body as JSON string content (escapes kept for JSON)."""
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            chars.append("'" if following == "'" else "\\" + following)
            i += 2
            continue
        if char == quote:
            return i, "".join(chars)
        chars.append('\\"' if char == '"' else char)
        i += 1
    raise QueryError("The search parameter has an unterminated string")


def _keys(document: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in document.items()}


class _Parser:
    def __init__(self, entity: Entity, udfs: Mapping[str, Field], strict: bool) -> None:
        self.entity = entity
        self.udfs = {name.lower(): f for name, f in udfs.items()}
        self.strict = strict
        self.conditions = 0
        self.or_conditions = 0

    def field(self, name: Any, udf: bool) -> Field:
        text = "" if name is None else str(name)
        found = self.udfs.get(text.lower()) if udf else self.entity.field(text)
        if found is None and not udf and text.lower() in self.udfs:
            raise QueryError(f'{text} is a user-defined field: add "udf": true to the condition')
        if found is None:
            raise QueryError(f"Unable to find {text} in the {self.entity.name} Entity")
        if not found.queryable:
            raise QueryError(f"{found.name} of the {self.entity.name} entity cannot be queried")
        return found

    def node(self, raw: Any, depth: int) -> Node | None:
        if depth > MAX_DEPTH:
            raise PayloadTooLargeError(f"The filter is nested deeper than {MAX_DEPTH} levels")
        if not isinstance(raw, dict):
            raise QueryError(f"A filter condition must be a JSON object, not {raw!r}")
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise PayloadTooLargeError(f"The filter has more than {MAX_CONDITIONS} conditions")
        keys = _keys(raw)
        op = str(keys.get("op") or "").strip()
        if op.lower() in GROUP_OPERATORS:
            return self.group(op.lower(), keys.get("items"), depth)
        canonical = OPERATORS.get(op.lower())
        if canonical is None:
            if self.strict:
                known = ", ".join([*OPERATORS.values(), *GROUP_OPERATORS])
                raise QueryError(f"Unknown operator {op!r} in the filter: use one of {known}")
            return None
        return self.condition(canonical, keys)

    def group(self, op: str, items: Any, depth: int) -> Group | None:
        if not isinstance(items, list):
            raise QueryError(f'The "{op}" group needs an "items" list of conditions')
        if op == "or":
            self.or_conditions += len(items)
            if self.or_conditions > MAX_OR_CONDITIONS:
                raise QueryError(
                    "Invalid query syntax. Queries are limited to 500 or fewer 'OR' conditions."
                )
        nodes = tuple(n for n in (self.node(i, depth + 1) for i in items) if n is not None)
        return Group(op, nodes) if nodes else None

    def condition(self, op: str, keys: dict[str, Any]) -> Condition:
        udf = keys.get("udf") in (True, "true", "True", 1, "1")
        field = self.field(keys.get("field"), udf)
        value = keys.get("value")
        if op in NULL_OPERATORS:
            return Condition(op, field)
        if op in LIST_OPERATORS:
            return Condition(op, field, self.list_value(op, field, value))
        if value is None and op in ("eq", "noteq"):
            return Condition("notExist" if op == "eq" else "exist", field)
        if op in TEXT_OPERATORS and not isinstance(field.kind, Text):
            raise QueryError(
                f"Operator {op} needs a text field; {field.name} is {field.kind.data_type}"
            )
        if op in ORDERING and isinstance(field.kind, Boolean):
            raise QueryError(f"Operator {op} needs an ordered field; {field.name} is boolean")
        coerced = self.value(op, field, value)
        if coerced is None:  # "" for a number, date or boolean: the same as null
            if op in ("eq", "noteq"):
                return Condition("notExist" if op == "eq" else "exist", field)
            raise QueryError(f"Operator {op} on {field.name} needs a value")
        return Condition(op, field, coerced)

    def list_value(self, op: str, field: Field, value: Any) -> tuple[Any, ...]:
        values = value if isinstance(value, list) else [value]
        if len(values) > MAX_LIST_VALUES:
            raise PayloadTooLargeError(
                f"Operator {op} on {field.name} has {len(values)} values; at most {MAX_LIST_VALUES}"
            )
        coerced = (self.value(op, field, v) for v in values if v is not None)
        return tuple(v for v in coerced if v is not None)

    def value(self, op: str, field: Field, value: Any) -> Any:
        if value is None:
            raise QueryError(f"Operator {op} on {field.name} needs a value")
        try:
            if isinstance(field.kind, Text):
                if isinstance(value, dict | list | bool):
                    raise QueryError(f"Invalid value for {field.name}: {value!r} is not a string")
                if "\x00" in str(value):
                    raise QueryError(
                        f"Invalid value for {field.name}: NUL characters are not allowed"
                    )
                return str(value)
            return field.coerce(value)
        except QueryError:
            raise
        except ValidationError as exc:
            raise QueryError(*(f"{m} (operator {op})" for m in exc.errors)) from None


def parse_query(
    entity: Entity,
    document: Any,
    udfs: Mapping[str, Field] | None = None,
    *,
    strict: bool = True,
) -> Query:
    """A query document (``filter``, ``IncludeFields``, ``MaxRecords``) -> ``Query``."""
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise QueryError('The query must be a JSON object such as {"filter": [...]}')
    keys = _keys(document)
    parser = _Parser(entity, udfs or {}, strict)
    raw_filter = keys.get("filter") or []
    if isinstance(raw_filter, dict):
        raw_filter = [raw_filter]
    if not isinstance(raw_filter, list):
        raise QueryError("filter must be a list of conditions")
    where = parser.group("and", raw_filter, 0) or Group("and", ())
    udf_count = len({f.name for f in walk_fields(where) if f.udf})
    if udf_count > 1:
        raise QueryError("Only one user-defined field may be used per query")
    return Query(
        where=where,
        include=_include(parser, keys.get("includefields")),
        max_records=_max_records(keys.get("maxrecords")),
    )


def _include(parser: _Parser, raw: Any) -> tuple[Field, ...] | None:
    if raw in (None, []):
        return None
    if not isinstance(raw, list):
        raise QueryError("IncludeFields must be a list of field names")
    found: list[Field] = []
    for name in raw:
        text = str(name)
        field = parser.entity.field(text) or parser.udfs.get(text.lower())
        if field is None:
            raise QueryError(f"Unable to find {text} in the {parser.entity.name} Entity")
        found.append(field)
    return tuple(found)


def _max_records(raw: Any) -> int:
    if raw is None:
        return MAX_RECORDS
    try:
        number = int(raw) if not isinstance(raw, bool) else -1
        if isinstance(raw, float) and not raw.is_integer():
            number = -1
    except (TypeError, ValueError, OverflowError):
        number = -1
    if not 1 <= number <= MAX_RECORDS:
        raise QueryError("maxCountOfRecordsToReturn must be between 1 and 500")
    return number
