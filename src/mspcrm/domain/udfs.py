"""User-defined field definitions; each becomes a ``Field`` with ``udf=True``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mspcrm.domain.fields import DateTime, Double, Field, Kind, Text, format_datetime
from mspcrm.errors import ValidationError

UDF_TYPES = ("string", "number", "date", "picklist")


@dataclass(frozen=True)
class UdfDefinition:
    entity: str
    name: str
    type: str = "string"
    length: int = 8000
    label: str = ""
    description: str = ""
    is_required: bool = False
    default_value: str | None = None
    picklist_values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in UDF_TYPES:
            raise ValidationError(
                f"Invalid UDF type {self.type!r}: use one of {', '.join(UDF_TYPES)}"
            )
        if not self.name.strip():
            raise ValidationError("A UDF name is required")
        if self.type == "picklist" and not self.picklist_values:
            raise ValidationError(f"UDF {self.name}: a picklist UDF needs at least one value")

    def kind(self) -> Kind:
        if self.type == "number":
            return Double()
        if self.type == "date":
            return DateTime()
        return Text(self.length)

    def as_field(self) -> Field:
        return Field(
            self.name,
            self.kind(),
            required=self.is_required,
            udf=True,
            label=self.label or self.name,
            description=self.description,
            default=self.default_value,
            picklist=self.type == "picklist",
        )

    def to_wire(self, stored: Any) -> str | None:
        """The stored value as the wire string (dates kept as sortable text go out as ``...Z``)."""
        if self.type == "date" and isinstance(stored, str):
            try:
                return format_datetime(datetime.fromisoformat(stored))
            except ValueError:
                return stored
        return udf_to_wire(stored)

    def check(self, value: Any) -> Any:
        """Coerce a written value; picklist UDFs take one of their values."""
        coerced = self.as_field().coerce(value)
        if coerced is not None and self.picklist_values and coerced not in self.picklist_values:
            allowed = ", ".join(self.picklist_values)
            raise ValidationError(
                f"Invalid value for UDF {self.name}: {value!r} is not one of {allowed}"
            )
        return coerced


def udf_to_wire(value: Any) -> str | None:
    """UDF values go out as strings (``"0.15"``, ``"2024-01-31T00:00:00Z"``), or null."""
    if value is None:
        return None
    if isinstance(value, float):
        return format(value, "f").rstrip("0").rstrip(".") if value == value else str(value)
    if hasattr(value, "isoformat"):
        return format_datetime(value)
    return str(value)
