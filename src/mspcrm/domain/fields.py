"""Field kinds and the ``Field`` declaration.

A kind knows three things about a value: how a client may send it (``coerce``,
with the coercions Autotask clients rely on: ``"True"``, ``"1"``, numeric
strings, ISO-8601 dates), how it goes out on the wire (``to_wire``) and the
``dataType`` string ``entityInformation/fields`` reports.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from mspcrm.errors import ValidationError

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_INT_TEXT = re.compile(r"^\s*[-+]?\d+(\.0*)?\s*$")


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Kind:
    """Base of all field kinds."""

    data_type = "string"
    python_type: type = str

    def coerce(self, name: str, value: Any) -> Any:
        raise NotImplementedError

    def to_wire(self, value: Any) -> Any:
        return value

    def invalid(self, name: str, value: Any, expected: str) -> ValidationError:
        return ValidationError(f"Invalid value for {name}: {_describe(value)} is not {expected}")


class Integer(Kind):
    data_type = "integer"
    python_type = int
    low, high = -(2**31), 2**31 - 1

    def coerce(self, name: str, value: Any) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise self.invalid(name, value, "an integer")
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and _INT_TEXT.match(value):
            number = int(value.strip().split(".")[0])
        else:
            raise self.invalid(name, value, "an integer")
        if not self.low <= number <= self.high:
            raise ValidationError(f"Invalid value for {name}: {number} is out of range")
        return number


class Long(Integer):
    data_type = "long"
    low, high = -(2**63), 2**63 - 1


class Short(Integer):
    data_type = "short"
    low, high = -(2**15), 2**15 - 1


class Double(Kind):
    data_type = "double"
    python_type = float

    def coerce(self, name: str, value: Any) -> float | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise self.invalid(name, value, "a number")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise self.invalid(name, value, "a number") from None
        if not math.isfinite(number):
            raise self.invalid(name, value, "a finite number")
        return number


class Decimal(Double):
    data_type = "decimal"


@dataclass(frozen=True)
class Text(Kind):
    length: int = 0

    data_type = "string"

    def coerce(self, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.invalid(name, value, "a string")
        text = value if isinstance(value, str) else str(value)
        if "\x00" in text:
            raise ValidationError(f"Invalid value for {name}: NUL characters are not allowed")
        if self.length and len(text) > self.length:
            raise ValidationError(
                f"Invalid value for {name}: {len(text)} characters, at most {self.length} allowed"
            )
        return text


class Boolean(Kind):
    data_type = "boolean"
    python_type = bool

    def coerce(self, name: str, value: Any) -> bool | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self.invalid(name, value, "a boolean (true/false, 1/0)")

    def to_wire(self, value: Any) -> bool:
        return bool(value)


class Flag(Integer):
    """An integer 1/0 that clients also send as a boolean (Contact.isActive)."""

    data_type = "integer"

    def coerce(self, name: str, value: Any) -> int | None:
        flag = Boolean().coerce(name, value)
        return None if flag is None else int(flag)

    def to_wire(self, value: Any) -> int:
        return int(bool(value))


class DateTime(Kind):
    """UTC datetimes, kept to the millisecond as Autotask does."""

    data_type = "datetime"
    python_type = datetime

    def coerce(self, name: str, value: Any) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            moment = parse_datetime(name, value)
        else:
            raise self.invalid(name, value, "an ISO-8601 date or datetime")
        try:
            return normalise_datetime(moment)
        except OverflowError:
            raise ValidationError(f"Invalid value for {name}: {value!r} is out of range") from None

    def to_wire(self, value: Any) -> str | None:
        return None if value is None else format_datetime(value)


def parse_datetime(name: str, text: str) -> datetime:
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"Invalid value for {name}: {_describe(text)} is not an ISO-8601 date or datetime"
        ) from None


def normalise_datetime(moment: datetime) -> datetime:
    """Naive UTC, truncated to milliseconds."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def format_datetime(moment: datetime) -> str:
    """``2023-03-17T10:32:29.52Z``: UTC, fraction trimmed of trailing zeros."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    millis = moment.microsecond // 1000
    if millis:
        text += f".{millis:03d}".rstrip("0")
    return text + "Z"


def utc_now() -> datetime:
    return normalise_datetime(datetime.now(UTC))


class Default(Enum):
    """Defaults that depend on the moment or the caller, applied on create."""

    NOW = "now"
    TODAY = "today"
    PICKLIST = "picklist default"
    ACTING_RESOURCE = "acting resource"


class Maintained(Enum):
    """System values the server keeps; clients cannot write them."""

    CREATED_AT = "created at"
    MODIFIED_AT = "modified at"
    CREATOR = "creator resource"
    IMPERSONATOR = "impersonator resource"


@dataclass(frozen=True)
class Field:
    """One field of an entity, as the wire names it."""

    name: str
    kind: Kind
    required: bool = False
    read_only: bool = False
    queryable: bool = True
    picklist: bool = False
    picklist_key: str = ""  # share another field's list, e.g. "Company.taxRegionID"
    reference: str | None = None
    default: Any = None
    maintained: Maintained | None = None
    never_null: bool = False
    udf: bool = False
    label: str = ""
    description: str = ""
    webhook: bool = True
    picklist_parent: str = ""
    write_only: bool = False  # accepted on writes, never read back (a webhook's secretKey)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def length(self) -> int:
        return self.kind.length if isinstance(self.kind, Text) else 0

    @property
    def is_text(self) -> bool:
        return isinstance(self.kind, Text)

    def coerce(self, value: Any) -> Any:
        return self.kind.coerce(self.name, value)

    def to_wire(self, value: Any) -> Any:
        if value is None:
            if isinstance(self.kind, Boolean | Flag):
                return self.kind.to_wire(False)
            return "" if self.never_null else None
        return self.kind.to_wire(value)


def pascal(name: str) -> str:
    """``companyName`` -> ``CompanyName``, as the seed's messages spell fields."""
    return name[:1].upper() + name[1:]
