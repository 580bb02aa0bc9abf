"""Resolve an Autotask REST path (any letter case, doubled or trailing slashes) to a route."""

from __future__ import annotations

from dataclasses import dataclass

from mspcrm.domain.entity import Entity, Registry
from mspcrm.errors import NotFoundError, ValidationError

ROOT = "atservicesrest"
VERSION = "v1.0"
METADATA = {"entityinformation": "info", "fields": "fields", "userdefinedfields": "udfs"}


@dataclass(frozen=True)
class Route:
    kind: str  # version | zone | threshold | collection | item | query | count | next | info
    # | fields | udfs | children | child
    entity: Entity | None = None
    record_id: int | None = None
    parent: Entity | None = None
    parent_id: int | None = None


def _id(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValidationError(f"{what} must be an integer id, not {text!r}") from None


def _metadata(tail: list[str]) -> str | None:
    if not tail or tail[0].lower() != "entityinformation" or len(tail) > 2:
        return None
    return METADATA.get(tail[-1].lower())


def resolve(path: str, registry: Registry) -> Route:
    parts = [p for p in path.split("/") if p]
    if parts and parts[0].lower() == VERSION:
        parts = [
            ROOT,
            *parts,
        ]  # a client given the bare host: /v1.0/... means /ATServicesRest/v1.0/...
    if not parts or parts[0].lower() != ROOT:
        raise NotFoundError(f"No route for {path}")
    rest = parts[1:]
    if [p.lower() for p in rest] == ["versioninformation"]:
        return Route("version")
    if not rest or rest[0].lower() != VERSION:
        raise NotFoundError(f"No route for {path}: the API version segment is V1.0")
    return _versioned(rest[1:], registry, path)


def _versioned(tail: list[str], registry: Registry, path: str) -> Route:
    lowered = [p.lower() for p in tail]
    if lowered in (["zoneinformation"], ["versioninformation"], ["thresholdinformation"]):
        return Route(lowered[0].removesuffix("information"))
    entity = registry.by_path(tail[0]) if tail else None
    if entity is None:
        raise NotFoundError(f"No route for {path}: unknown entity {tail[0] if tail else ''!r}")
    rest, lowered_rest = tail[1:], lowered[1:]
    if not rest:
        return Route("collection", entity)
    if lowered_rest in (["query"], ["query", "count"], ["query", "next"]):
        return Route(lowered_rest[-1], entity)
    meta = _metadata(rest)
    if meta is not None:
        return Route(meta, entity)
    record_id = _id(rest[0], f"The {entity.name} id")
    if len(rest) == 1:
        return Route("item", entity, record_id)
    return _child(entity, record_id, rest[1:], registry, path)


def _child(parent: Entity, parent_id: int, tail: list[str], registry: Registry, path: str) -> Route:
    child = registry.child_route(parent, tail[0])
    if child is None:
        raise NotFoundError(f"No route for {path}: {parent.path} has no child {tail[0]!r}")
    rest = tail[1:]
    if not rest:
        return Route("children", child, parent=parent, parent_id=parent_id)
    meta = _metadata(rest)
    if meta is not None:
        return Route(meta, child, parent=parent, parent_id=parent_id)
    if len(rest) == 1:
        record_id = _id(rest[0], f"The {child.name} id")
        return Route("child", child, record_id, parent=parent, parent_id=parent_id)
    raise NotFoundError(f"No route for {path}")
