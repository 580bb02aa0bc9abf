"""How a declared field looks to people: its label, its input, its value shown, and the
form it comes back in. Generic over every entity; nothing here names one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Boolean, DateTime, Default, Double, Field, Flag, Integer, Text
from mspcrm.domain.picklists import PicklistValue

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
LONG_TEXT = 500


def label(field: Field) -> str:
    """``ownerResourceID`` -> ``Owner resource``; a declared label wins."""
    if field.label:
        return field.label
    name = field.name
    if field.reference and name.endswith("ID"):
        name = name[:-2]
    text = _CAMEL.sub(" ", name).lower()
    return text[:1].upper() + text[1:]


def input_kind(field: Field) -> str:
    """The form control for a field: select, checkbox, date, number, textarea or text."""
    kind = field.kind
    if field.picklist:
        return "select"
    if isinstance(kind, Boolean | Flag):
        return "checkbox"
    if isinstance(kind, DateTime):
        return "date"
    if isinstance(kind, Integer | Double):
        return "number"
    if isinstance(kind, Text) and kind.length >= LONG_TEXT:
        return "textarea"
    return "text"


def form_fields(entity: Entity) -> tuple[list[Field], list[Field]]:
    """The writable fields of a form: the main ones first (what names the record, its
    parent, the required fields, then the listed and searched ones), the rest after."""
    writable = {f.name: f for f in entity.writable_fields}
    parent = (entity.parent.field,) if entity.parent is not None else ()
    required = tuple(f.name for f in entity.writable_fields if f.required)
    ordered = (*entity.title_fields, *parent, *required, *entity.list_fields, *entity.search_fields)
    main = [writable[n] for n in dict.fromkeys(ordered) if n in writable]
    more = [f for f in entity.writable_fields if f not in main]
    return main, more


def initial_values(entity: Entity) -> dict[str, Any]:
    """A new record's form starts with the declared constant defaults (``isActive``: yes)."""
    return {
        f.name: f.default
        for f in entity.writable_fields
        if f.default is not None and not isinstance(f.default, Default)
    }


def title(entity: Entity, item: Mapping[str, Any] | None) -> str:
    """What names a record for people: its title fields, else ``company 12``."""
    if item is None:
        return ""
    parts = [str(item.get(name) or "") for name in entity.title_fields]
    text = " ".join(p for p in parts if p).strip()
    return text or f"{entity.singular} {item.get('id')}"


def shown(field: Field, value: Any, options: Mapping[str, list[PicklistValue]]) -> str:
    """A value as text: picklist labels, yes/no, dates without the time when midnight."""
    if value is None or value == "":
        return ""
    if field.picklist:
        for option in options.get(field.name, []):
            if str(option.value) == str(value):
                return option.label
        return str(value)
    if isinstance(field.kind, Boolean | Flag):
        return "Yes" if value in (True, 1, "1", "true") else "No"
    if isinstance(field.kind, DateTime) and isinstance(value, str):
        return value[:10] if value[10:19] in ("", "T00:00:00") else value[:16].replace("T", " ")
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def form_value(field: Field, value: Any) -> str:
    """A value as an input's ``value`` attribute."""
    if value is None:
        return ""
    if isinstance(field.kind, DateTime) and isinstance(value, str):
        return value[:10]
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def body_from_form(
    fields: list[Field], form: Mapping[str, list[str]], *, creating: bool
) -> dict[str, Any]:
    """The write body a form stands for: on create, empty inputs are left out; on edit,
    an emptied input clears the field. Values go to the service as typed (it coerces)."""
    body: dict[str, Any] = {}
    for f in fields:
        values = form.get(f.name)
        if values is None:
            continue
        raw = values[-1].strip()
        if input_kind(f) == "checkbox":
            body[f.name] = raw == "1"
        elif raw.strip() == "":
            if not creating:
                body[f.name] = None
        else:
            body[f.name] = raw
    return body


@dataclass
class FormErrors:
    """A service's error messages, each placed on the field it names (else the form's)."""

    by_field: dict[str, list[str]]
    general: list[str]


def place_errors(entity: Entity, messages: list[str]) -> FormErrors:
    names = sorted((f.name for f in entity.fields), key=len, reverse=True)
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for message in messages:
        hit = next((n for n in names if re.search(rf"\b{re.escape(n)}\b", message)), None)
        if hit is None:
            general.append(message)
        else:
            by_field.setdefault(hit, []).append(message)
    return FormErrors(by_field, general)
