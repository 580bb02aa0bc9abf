"""Records as Autotask clients see them: camelCase in declaration order, UDFs last."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from functools import lru_cache
from typing import Any

from mspcrm.domain.entity import Entity
from mspcrm.domain.udfs import UdfDefinition

UDFS = "userDefinedFields"


@lru_cache(maxsize=64)
def _writers(entity: Entity) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    return tuple((f.name, f.to_wire) for f in entity.fields)


def record_to_wire(
    entity: Entity,
    record: Mapping[str, Any],
    udfs: Sequence[UdfDefinition] = (),
    include: Collection[str] | None = None,
) -> dict[str, Any]:
    """One stored record as a wire object; ``include`` limits the fields (id always kept)."""
    out: dict[str, Any] = {}
    for name, to_wire in _writers(entity):
        if include is None or name in include or name == "id":
            out[name] = to_wire(record.get(name))
    stored = record.get(UDFS) or {}
    out[UDFS] = [
        {"name": d.name, "value": d.to_wire(stored.get(d.name))}
        for d in udfs
        if include is None or d.name in include
    ]
    return out
