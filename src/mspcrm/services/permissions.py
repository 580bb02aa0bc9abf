"""Security levels and the one permission check both API surfaces call.

Two levels are built in: ``full`` (every right, may impersonate, import and export; the
administrator level) and ``read-only`` (read everything, change nothing, no import or
export). More are named levels kept in the database
(``mspcrm security-levels add NAME --entity Companies --rights crud --operations export``):
a right string per entity (``c`` create, ``r`` read, ``u`` update, ``d`` delete), ``*`` for
every entity not named, the operation rights of the whole level (import, export; as
Autotask keeps them apart from the entity rights), and whether API users of the level may
impersonate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mspcrm.domain.entity import Entity, Registry
from mspcrm.errors import NotFoundError, PermissionDeniedError, ValidationError
from mspcrm.store import security
from mspcrm.store.database import Database


class Right(StrEnum):
    """What a caller may need: a right on an entity, or an operation right of the level."""

    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    IMPORT = "import"
    EXPORT = "export"

    @property
    def is_operation(self) -> bool:
        return self in OPERATIONS


OPERATIONS = frozenset({Right.IMPORT, Right.EXPORT})
NEEDS = {Right.CREATE: "c", Right.READ: "r", Right.UPDATE: "u", Right.DELETE: "d"}
VERBS = {
    Right.CREATE: "create",
    Right.READ: "query",
    Right.UPDATE: "update",
    Right.DELETE: "delete",
    Right.IMPORT: "import",
    Right.EXPORT: "export",
}
ALL = "*"
ADMINISTRATOR = "full"  # the level that may change protected records (company 0)


@dataclass(frozen=True)
class SecurityLevel:
    name: str
    rights: Mapping[str, str] = field(default_factory=dict)  # entity name or "*" -> letters
    can_impersonate: bool = False
    operations: frozenset[Right] = frozenset()  # import, export

    def letters(self, entity: Entity) -> str:
        return self.rights.get(entity.name, self.rights.get(ALL, ""))

    def allows(self, entity: Entity, need: str) -> bool:
        right = Right(need)
        if right.is_operation:
            return right in self.operations
        return NEEDS[right] in self.letters(entity)

    @property
    def is_administrator(self) -> bool:
        return self.name == ADMINISTRATOR


BUILT_IN = {
    "full": SecurityLevel("full", {ALL: "crud"}, can_impersonate=True, operations=OPERATIONS),
    "read-only": SecurityLevel("read-only", {ALL: "r"}, can_impersonate=False),
}
NO_RIGHTS = SecurityLevel("")


def is_administrator(level_name: str) -> bool:
    """Whether ``level_name`` is the administrator level (protected records may change)."""
    return level_name == ADMINISTRATOR


def denied(need: str) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"The logged in Resource does not have the adequate permissions to "
        f"{VERBS[Right(need)]} this entity type."
    )


class Permissions:
    """Looks levels up (cached for a few seconds per process) and checks rights."""

    def __init__(self, db: Database, registry: Registry, cache_seconds: float = 5.0) -> None:
        self.db = db
        self.registry = registry
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[SecurityLevel, float]] = {}
        self._lock = threading.Lock()

    def level(self, name: str) -> SecurityLevel:
        """The level called ``name``; an unknown name has no rights at all."""
        hit = self.cached(name)
        if hit is not None:
            return hit
        now = time.monotonic()
        with self.db.read() as conn:
            row = security.find_level(conn, name)
        found = NO_RIGHTS if row is None else _from_row(row)
        with self._lock:
            self._cache[name] = (found, now + self.cache_seconds)
        return found

    def cached(self, name: str) -> SecurityLevel | None:
        """The level when known without the database (built in, or cached), else None."""
        if name in BUILT_IN:
            return BUILT_IN[name]
        with self._lock:
            hit = self._cache.get(name)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def require(self, level_name: str, entity: Entity, need: str) -> None:
        if not self.level(level_name).allows(entity, need):
            raise denied(need)

    def exists(self, name: str) -> bool:
        return name in BUILT_IN or self.level(name) is not NO_RIGHTS

    def levels(self) -> list[SecurityLevel]:
        with self.db.read() as conn:
            rows = security.all_levels(conn)
        return [*BUILT_IN.values(), *(_from_row(r) for r in rows)]

    def define(
        self,
        name: str,
        rights: Mapping[str, str],
        *,
        can_impersonate: bool = False,
        operations: Iterable[str] = (),
    ) -> SecurityLevel:
        name = name.strip()
        if not name or len(name) > 50 or name in BUILT_IN:
            raise ValidationError(
                f"{name!r} cannot name a security level (built in, empty or over 50 characters)"
            )
        checked = {self._entity_key(k): _letters(v) for k, v in rights.items()}
        allowed = parse_operations(operations)
        with self.db.write() as conn:
            security.save_level(
                conn,
                name,
                checked,
                can_impersonate=can_impersonate,
                operations=sorted(str(o) for o in allowed),
            )
        self.forget()
        return SecurityLevel(name, checked, can_impersonate, allowed)

    def remove(self, name: str) -> None:
        with self.db.write() as conn:
            if not security.delete_level(conn, name):
                raise NotFoundError(f"No security level {name!r}")
        self.forget()

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def _entity_key(self, name: str) -> str:
        return ALL if name == ALL else self.registry.by_name(name).name


def _letters(raw: str) -> str:
    text = raw.strip().lower().replace("-", "")
    if any(ch not in "crud" for ch in text):
        raise ValidationError(f"Rights {raw!r}: use letters of c, r, u, d (or - for none)")
    return "".join(ch for ch in "crud" if ch in text)


def parse_operations(names: Iterable[str]) -> frozenset[Right]:
    """``import``, ``export`` (any case, comma separated or one per item); others refused."""
    words = [w.strip().lower() for name in names for w in str(name).split(",") if w.strip()]
    known = {str(o): o for o in OPERATIONS}
    unknown = [w for w in words if w not in known]
    if unknown:
        raise ValidationError(
            f"Operations {', '.join(map(repr, unknown))}: use {', '.join(sorted(known))}"
        )
    return frozenset(known[w] for w in words)


def _from_row(row: Any) -> SecurityLevel:
    return SecurityLevel(
        str(row.name),
        dict(row.rights or {}),
        bool(row.can_impersonate),
        parse_operations((row.operations or "").split(",")),
    )
