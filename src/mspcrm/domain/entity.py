"""The ``Entity`` declaration and the frozen registry of all of them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mspcrm.domain.fields import Field, Maintained
from mspcrm.errors import NotFoundError


@dataclass(frozen=True)
class ParentRoute:
    """How an entity is reached as a child: ``/{parent path}/{id}/{segment}``."""

    entity: str  # singular name of the parent entity
    segment: str  # route segment under the parent, e.g. "Locations"
    field: str  # the child's field that holds the parent id


@dataclass(frozen=True, eq=False)
class Entity:
    """One entity, declared as data. Generic code reads everything else from here."""

    name: str  # singular wire name: "Company"
    path: str  # REST path segment: "Companies"
    fields: tuple[Field, ...]
    table: str = ""
    can_create: bool = True
    can_update: bool = True
    can_delete: bool = False
    can_query: bool = True
    api_writable: bool = True  # False: written by the CLI only (Resources)
    has_udfs: bool = False
    max_udfs: int = 0
    supports_webhooks: bool = False
    webhook_for: str = ""  # a webhook configuration entity: the entity its callouts watch
    parent: ParentRoute | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)  # input name -> field name
    name_inputs: Mapping[str, str] = field(default_factory=dict)  # "country" -> "countryID"
    lookup_fields: tuple[str, ...] = ()  # fields a name may be resolved against
    title_fields: tuple[str, ...] = ()  # what names a record for people
    list_fields: tuple[str, ...] = ()  # the columns of a listing for people (after id)
    search_fields: tuple[str, ...] = ()  # what a free-text search looks in
    indexed: tuple[str, ...] = ()  # extra single-field indexes (case-insensitive for text)
    # What people call a record and several, in lower case, used alike by the CLI (plural,
    # dashes: ``mspcrm sites``), the agent tools (singular, underscores: ``create_site``),
    # docs and pages. Default: the wire names in words ("company note", "company notes").
    noun: str = ""
    plural: str = ""
    former_names: tuple[str, ...] = ()  # older spellings still accepted (CLI aliases)

    def __post_init__(self) -> None:
        if not self.table:
            object.__setattr__(self, "table", snake(self.path))
        by_name = {f.name.lower(): f for f in self.fields}
        object.__setattr__(self, "_by_lower", MappingProxyType(by_name))

    def field(self, name: str) -> Field | None:
        """The field called ``name`` (any letter case), or None."""
        by_lower: Mapping[str, Field] = self._by_lower  # type: ignore[attr-defined]
        return by_lower.get(name.lower())

    def require(self, name: str) -> Field:
        found = self.field(name)
        if found is None:
            raise KeyError(f"{self.name} has no field {name}")
        return found

    @property
    def singular(self) -> str:
        """``site``, ``company note``: one record, as people say it."""
        return self.noun or words(self.name)

    @property
    def plural_noun(self) -> str:
        """``sites``, ``company notes``: several records, as people say it."""
        return self.plural or words(self.path)

    @property
    def command(self) -> str:
        """The CLI's name for the entity: ``sites``, ``company-notes``."""
        return self.plural_noun.replace(" ", "-")

    @property
    def tool_noun(self) -> str:
        """The agent tools' name for one record: ``site``, ``company_note``."""
        return self.singular.replace(" ", "_")

    @property
    def writable_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.read_only)

    def maintained(self, kind: Maintained) -> Field | None:
        return next((f for f in self.fields if f.maintained is kind), None)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``ownerResourceID`` -> ``owner_resource_id``; the one rule for column names."""
    return _CAMEL.sub("_", name).lower()


def words(name: str) -> str:
    """``CompanyNotes`` -> ``company notes``."""
    return _CAMEL.sub(" ", name).lower()


class Registry:
    """All declared entities, cross-checked once and then read-only."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        items = tuple(entities)
        self._by_name = MappingProxyType({e.name.lower(): e for e in items})
        self._by_path = MappingProxyType({e.path.lower(): e for e in items})
        self._entities = items
        self._check()

    def __iter__(self) -> Iterator[Entity]:
        return iter(self._entities)

    def __len__(self) -> int:
        return len(self._entities)

    def by_name(self, name: str) -> Entity:
        found = self._by_name.get(name.lower()) or self._by_path.get(name.lower())
        if found is None:
            known = ", ".join(e.name for e in self._entities)
            raise NotFoundError(f"No entity named {name!r}: use one of {known}")
        return found

    def by_path(self, path: str) -> Entity | None:
        return self._by_path.get(path.lower())

    def is_configuration(self, entity: Entity) -> bool:
        """A webhook entity or one of its children: set up once, not worked in daily, so
        listings for people (the CLI's help, the pages' navigation) leave them out."""
        if entity.webhook_for:
            return True
        parent = self.by_name(entity.parent.entity) if entity.parent else None
        return parent is not None and bool(parent.webhook_for)

    def children_of(self, parent: Entity) -> tuple[Entity, ...]:
        return tuple(e for e in self if e.parent and e.parent.entity == parent.name)

    def child_route(self, parent: Entity, segment: str) -> Entity | None:
        for child in self.children_of(parent):
            assert child.parent is not None
            if child.parent.segment.lower() == segment.lower():
                return child
        return None

    def _check(self) -> None:
        problems: list[str] = []
        if len(self._by_name) != len(self._entities) or len(self._by_path) != len(self._entities):
            problems.append("entity names and paths must be unique")
        for entity in self._entities:
            problems.extend(_check_entity(entity, self._by_name))
        if problems:
            raise ValueError("invalid entity declarations: " + "; ".join(problems))


def _check_entity(entity: Entity, by_name: Mapping[str, Entity]) -> list[str]:
    problems: list[str] = []
    names = [f.name.lower() for f in entity.fields]
    if len(set(names)) != len(names):
        problems.append(f"{entity.name}: duplicate field names")
    columns = [snake(f.name) for f in entity.fields]
    if len(set(columns)) != len(columns):
        problems.append(f"{entity.name}: two fields map to one column")
    if not entity.fields or entity.fields[0].name != "id":
        problems.append(f"{entity.name}: the first field must be id")
    for f in entity.fields:
        if f.reference and f.reference.lower() not in by_name:
            problems.append(f"{entity.name}.{f.name} references unknown entity {f.reference}")
    for alias, target in {**entity.aliases, **entity.name_inputs}.items():
        if entity.field(target) is None or entity.field(alias) is not None:
            problems.append(f"{entity.name}: bad input alias {alias} -> {target}")
    if entity.webhook_for and entity.webhook_for.lower() not in by_name:
        problems.append(f"{entity.name}: webhook_for names unknown entity {entity.webhook_for}")
    if entity.parent and entity.field(entity.parent.field) is None:
        problems.append(f"{entity.name}: parent field {entity.parent.field} is not declared")
    listed = (*entity.lookup_fields, *entity.title_fields, *entity.indexed, *entity.list_fields)
    for name in (*listed, *entity.search_fields):
        if entity.field(name) is None:
            problems.append(f"{entity.name}: {name} is not a field")
    return problems
