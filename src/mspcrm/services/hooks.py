"""Lifecycle points where per-entity business rules attach.

A rule is a plain function registered by entity name; the generic write path
calls the rules of the entity at ``before_write`` (inside the transaction,
before the row is written: may raise to refuse) and ``after_write`` (after the
row is written, same transaction: may write related rows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity
from mspcrm.services.context import Actor

if TYPE_CHECKING:
    from mspcrm.services.records import RecordService


@dataclass
class WriteContext:
    conn: Connection
    service: RecordService
    entity: Entity
    op: str  # "create" | "update" | "delete"
    actor: Actor
    record_id: int | None
    values: dict[str, Any]  # the values being written
    current: dict[str, Any] | None  # the stored record before the write (update, delete)
    notes: dict[str, Any] = field(default_factory=dict)

    def changed(self, name: str) -> bool:
        if name not in self.values:
            return False
        return self.current is None or self.current.get(name) != self.values[name]

    def final(self, name: str) -> Any:
        """The value the record has after this write."""
        if name in self.values:
            return self.values[name]
        return None if self.current is None else self.current.get(name)


Rule = Callable[[WriteContext], None]
_RULES: dict[tuple[str, str], list[Rule]] = defaultdict(list)
POINTS = ("normalise", "before_write", "after_write")


def rule(entity: str, point: str, *ops: str) -> Callable[[Rule], Rule]:
    """Register ``fn`` for ``entity`` at ``point``, for the given ops (default: all)."""
    if point not in POINTS:
        raise ValueError(f"unknown lifecycle point {point}")

    def register(fn: Rule) -> Rule:
        wanted = ops or ("create", "update", "delete")

        def guarded(ctx: WriteContext) -> None:
            if ctx.op in wanted:
                fn(ctx)

        guarded.__name__ = fn.__name__
        _RULES[(entity, point)].append(guarded)
        return fn

    return register


def registered(entity: str, point: str) -> tuple[Rule, ...]:
    """The rules of ``entity`` at ``point``, in the order they run (the bulk import checks
    it knows each of them)."""
    return tuple(_RULES.get((entity, point), ()))


def run(point: str, ctx: WriteContext) -> None:
    for fn in _RULES.get((ctx.entity.name, point), ()):
        fn(ctx)
