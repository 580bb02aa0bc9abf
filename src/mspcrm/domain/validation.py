"""Turning a client's JSON body into checked values, for any entity.

The steps, in order: ``read_body`` maps property names (any letter case,
aliases) to fields and coerces values; ``apply_defaults`` fills create
defaults; ``check_required`` and ``check_picklists`` collect every problem
before one ``ValidationError`` is raised, so a client sees all of them at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Default, Field, pascal, utc_now
from mspcrm.errors import ValidationError

MAX_BODY_KEYS = 500


@dataclass
class WriteBody:
    """What a write request asked for, after reading and coercion."""

    id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)
    udfs: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # target field -> name to resolve
    ignored: list[str] = field(default_factory=list)  # read-only or unknown properties


def read_body(
    entity: Entity,
    body: Any,
    udf_fields: Mapping[str, Callable[[Any], Any]],
    *,
    strict: bool,
) -> WriteBody:
    """Map and coerce a body; ``strict`` rejects properties the entity does not have."""
    if not isinstance(body, dict):
        raise ValidationError(f"The request body must be a JSON object holding a {entity.name}")
    if len(body) > MAX_BODY_KEYS:
        raise ValidationError(
            f"The request body has {len(body)} properties; at most {MAX_BODY_KEYS}"
        )
    result = WriteBody()
    problems: list[str] = []
    for key, raw in body.items():
        try:
            _read_property(entity, str(key), raw, udf_fields, strict, result)
        except ValidationError as exc:
            problems.extend(exc.errors)
    if problems:
        raise ValidationError(*problems)
    return result


def _read_property(
    entity: Entity,
    key: str,
    raw: Any,
    udf_fields: Mapping[str, Callable[[Any], Any]],
    strict: bool,
    result: WriteBody,
) -> None:
    lowered = key.lower()
    if lowered == "userdefinedfields":
        result.udfs.update(read_udfs(entity, raw, udf_fields, strict=strict))
        return
    target = _alias_target(entity, lowered)
    name_target = _name_target(entity, lowered)
    if name_target is not None:
        if raw not in (None, ""):
            result.names[name_target] = _name_text(key, raw)
        return
    declared = entity.field(target or key)
    if declared is None:
        if strict:
            raise ValidationError(f"Unknown field {key} for the {entity.name} entity")
        result.ignored.append(key)
        return
    if declared.name == "id":
        result.id = declared.coerce(raw)
        return
    if declared.read_only:
        result.ignored.append(key)
        return
    result.values[declared.name] = declared.coerce(raw)


def _alias_target(entity: Entity, lowered: str) -> str | None:
    return next((t for a, t in entity.aliases.items() if a.lower() == lowered), None)


def _name_target(entity: Entity, lowered: str) -> str | None:
    return next((t for a, t in entity.name_inputs.items() if a.lower() == lowered), None)


def _name_text(key: str, raw: Any) -> str:
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    raise ValidationError(f"Invalid value for {key}: {raw!r} is not a name or code")


def read_udfs(
    entity: Entity,
    raw: Any,
    udf_fields: Mapping[str, Callable[[Any], Any]],
    *,
    strict: bool,
) -> dict[str, Any]:
    """``[{"name": ..., "value": ...}]`` -> {definition name: coerced value}."""
    if raw is None:
        return {}
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ValidationError('userDefinedFields must be a list of {"name": ..., "value": ...}')
    by_lower = {name.lower(): name for name in udf_fields}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for item in raw:
        name = str(item.get("name") or item.get("Name") or "")
        known = by_lower.get(name.lower().strip())
        if known is None:
            if strict:
                problems.append(f"Unknown user-defined field {name!r} for the {entity.name} entity")
            continue
        raw_value = item.get("value", item.get("Value"))
        try:
            values[known] = udf_fields[known](raw_value)
        except ValidationError as exc:
            problems.extend(exc.errors)
    if problems:
        raise ValidationError(*problems)
    return values


@dataclass(frozen=True)
class DefaultContext:
    """What create defaults may depend on."""

    acting_resource_id: int | None
    picklist_defaults: Mapping[str, int]  # field name -> default value
    now: datetime | None = None


def apply_defaults(entity: Entity, values: dict[str, Any], ctx: DefaultContext) -> None:
    """Fill the declared default of every writable field the create did not give."""
    now = ctx.now or utc_now()
    for f in entity.writable_fields:
        if values.get(f.name) is not None or f.default is None:
            continue
        value = _default_value(f, ctx, now)
        if value is not None:
            values[f.name] = value


def _default_value(f: Field, ctx: DefaultContext, now: datetime) -> Any:
    if f.default is Default.NOW:
        return now
    if f.default is Default.TODAY:
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if f.default is Default.PICKLIST:
        return ctx.picklist_defaults.get(f.name)
    if f.default is Default.ACTING_RESOURCE:
        return ctx.acting_resource_id
    return f.default


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_required(entity: Entity, values: Mapping[str, Any], *, partial: bool) -> list[str]:
    """Messages for required fields left blank (``partial``: only those given)."""
    problems = []
    for f in entity.writable_fields:
        if not f.required:
            continue
        if partial and f.name not in values:
            continue
        if is_blank(values.get(f.name)):
            problems.append(f"{pascal(f.name)} is required")
    return problems


def bad_picklist_values(
    entity: Entity, values: Mapping[str, Any], allowed: Mapping[str, set[int]]
) -> list[str]:
    """Messages for picklist values that are not active values of their list."""
    problems = []
    for name, choices in allowed.items():
        value = values.get(name)
        if value is not None and value not in choices:
            listed = ", ".join(str(v) for v in sorted(choices)) or "none"
            problems.append(
                f"Invalid {name}: {value} is not an active value of the {entity.name}.{name} "
                f"picklist (allowed: {listed})"
            )
    return problems
