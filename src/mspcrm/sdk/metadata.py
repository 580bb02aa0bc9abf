"""What an entity looks like, read from ``entityInformation/fields`` (never hand-written).

Picklist values travel as strings (``"1"``); for integer fields they are
returned as ``int``, ready to be written back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mspcrm.errors import ValidationError

INTEGER_TYPES = ("integer", "long", "short", "byte")
PicklistValue = int | str


@dataclass(frozen=True)
class Picklist:
    """A picklist's active values: label <-> value."""

    field: str
    by_label: Mapping[str, PicklistValue]
    by_value: Mapping[PicklistValue, str]
    default: PicklistValue | None = None

    def value(self, label: str) -> PicklistValue:
        """The value for a label, matched in any letter case."""
        lowered = label.strip().lower()
        for known, value in self.by_label.items():
            if known.lower() == lowered:
                return value
        choices = ", ".join(self.by_label)
        raise ValidationError(f"{label!r} is not a value of {self.field}: use one of {choices}")

    def label(self, value: PicklistValue) -> str | None:
        return self.by_value.get(value)


@dataclass(frozen=True)
class FieldInfo:
    """One field as ``entityInformation/fields`` describes it."""

    name: str
    data_type: str
    length: int = 0
    is_required: bool = False
    is_read_only: bool = False
    is_queryable: bool = True
    reference_entity_type: str | None = None
    picklist: Picklist | None = None


@dataclass(frozen=True)
class EntityDescription:
    """An entity's fields, by name (any letter case through ``field()``)."""

    path: str
    fields: Mapping[str, FieldInfo]

    def field(self, name: str) -> FieldInfo:
        found = self.fields.get(name) or next(
            (f for key, f in self.fields.items() if key.lower() == name.lower()), None
        )
        if found is None:
            raise ValidationError(f"{self.path} has no field {name!r}")
        return found

    def picklist(self, name: str) -> Picklist:
        field = self.field(name)
        if field.picklist is None:
            raise ValidationError(f"{field.name} of {self.path} is not a picklist")
        return field.picklist

    @property
    def picklists(self) -> dict[str, Picklist]:
        return {name: f.picklist for name, f in self.fields.items() if f.picklist is not None}

    @property
    def required(self) -> list[str]:
        return [n for n, f in self.fields.items() if f.is_required and not f.is_read_only]

    @property
    def writable(self) -> list[str]:
        return [n for n, f in self.fields.items() if not f.is_read_only]


def _typed(raw: Any, data_type: str) -> PicklistValue:
    text = str(raw)
    if data_type.lower() in INTEGER_TYPES and text.lstrip("-").isdigit():
        return int(text)
    return text


def picklist_from(name: str, data_type: str, values: Sequence[Mapping[str, Any]]) -> Picklist:
    active = [v for v in values if v.get("isActive", True)]
    by_label = {str(v.get("label")): _typed(v.get("value"), data_type) for v in active}
    default = next(
        (_typed(v.get("value"), data_type) for v in active if v.get("isDefaultValue")), None
    )
    return Picklist(name, by_label, {v: k for k, v in by_label.items()}, default)


def field_from(raw: Mapping[str, Any]) -> FieldInfo:
    name = str(raw.get("name"))
    data_type = str(raw.get("dataType") or raw.get("type") or "string")
    values = raw.get("picklistValues")
    picklist = None
    if raw.get("isPickList") and isinstance(values, list):
        picklist = picklist_from(name, data_type, values)
    return FieldInfo(
        name=name,
        data_type=data_type,
        length=int(raw.get("length") or 0),
        is_required=bool(raw.get("isRequired")),
        is_read_only=bool(raw.get("isReadOnly")),
        is_queryable=bool(raw.get("isQueryable", True)),
        reference_entity_type=(raw.get("referenceEntityType") or None)
        if raw.get("isReference")
        else None,
        picklist=picklist,
    )


def describe_from(path: str, fields: Sequence[Mapping[str, Any]]) -> EntityDescription:
    return EntityDescription(path, {f.name: f for f in map(field_from, fields)})
