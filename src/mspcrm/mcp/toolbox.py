"""What every tool works with: the target, the policy, the key store, the declarations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mspcrm.domain.entities import build_registry
from mspcrm.domain.entity import Entity, Registry
from mspcrm.errors import ValidationError
from mspcrm.mcp.keys import KeyStore
from mspcrm.mcp.safety import Policy
from mspcrm.sdk import Client, EntityDescription
from mspcrm.targets import Target

SEARCHABLE = {
    "companies": "Company",
    "contacts": "Contact",
    "sites": "CompanyLocation",
    "opportunities": "Opportunity",
    "contracts": "Contract",
}


def tool_noun(entity: Entity) -> str:
    """``company``, ``contact``, ``site``, ``company_note``: the declaration's noun."""
    return entity.tool_noun


@dataclass
class Toolbox:
    target: Target
    policy: Policy
    keys: KeyStore
    registry: Registry = field(default_factory=build_registry)

    @property
    def client(self) -> Client:
        return self.target.client

    def entity(self, name: str) -> Entity:
        """An entity by declared name, path, friendly noun or search name."""
        lowered = name.strip().lower()
        for entity in self.registry:
            nouns = (
                entity.name.lower(),
                entity.path.lower(),
                entity.tool_noun,
                entity.command,
                *entity.former_names,
            )
            if lowered in nouns or lowered.rstrip("s") in nouns:
                return entity
        if lowered in SEARCHABLE:
            return self.registry.by_name(SEARCHABLE[lowered])
        known = ", ".join(e.path for e in self.registry)
        raise ValidationError(f"No entity {name!r}: use one of {known}")

    def describe(self, entity: Entity) -> EntityDescription:
        return self.client.describe(entity.path)

    def label(self, entity: Entity, record: dict[str, Any]) -> str:
        return " ".join(str(record.get(f) or "") for f in entity.title_fields).strip()

    def summary(self, entity: Entity, record: dict[str, Any]) -> dict[str, Any]:
        """The listing fields of a record (what a person needs to tell records apart)."""
        names = ("id", *entity.list_fields)
        if entity.parent and entity.parent.field not in names:
            names = (*names, entity.parent.field)
        return {name: record.get(name) for name in names}


@dataclass(frozen=True)
class ToolSpec:
    """One MCP tool: its schema, its hints, and the function that runs it."""

    name: str
    description: str
    input_schema: dict[str, Any]
    run: Callable[[Toolbox, dict[str, Any]], dict[str, Any]]
    writes: bool = False
    destructive: bool = False
    idempotent: bool = True
    title: str = ""
