"""Reads the pages share: reference titles, picklist options, related records, history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mspcrm.domain.duplicates.profiles import profile_for
from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Field
from mspcrm.domain.picklists import PicklistValue
from mspcrm.errors import ValidationError
from mspcrm.services.crm import Services
from mspcrm.services.web_accounts import WebSession
from mspcrm.web.presentation import title

RELATED_ROWS = 10
SMALL_LIST = 300  # a reference to at most this many records gets a select (countries do)


def has_duplicate_profile(entity: Entity) -> bool:
    """Whether duplicate checks (and so duplicate review) exist for ``entity``."""
    try:
        profile_for(entity.name)
    except ValidationError:
        return False
    return True


def may(services: Services, session: WebSession, entity: Entity, need: str) -> bool:
    return services.permissions.level(session.security_level).allows(entity, need)


def titles_by_id(services: Services, entity: Entity, ids: Iterable[Any]) -> dict[int, str]:
    """``{id: title}`` for records of ``entity`` (one query)."""
    wanted = sorted({int(i) for i in ids if i not in (None, "")})
    if not wanted:
        return {}
    include = ["id", *entity.title_fields]
    document = {"filter": [{"op": "in", "field": "id", "value": wanted}], "IncludeFields": include}
    page = services.records.query(entity, document, page_size=len(wanted))
    return {int(item["id"]): title(entity, item) for item in page.items}


def reference_titles(
    services: Services,
    session: WebSession,
    entity: Entity,
    fields: Iterable[Field],
    items: list[dict[str, Any]],
) -> dict[str, dict[int, str]]:
    """For each reference field shown, the titles of the records it points at."""
    found: dict[str, dict[int, str]] = {}
    for f in fields:
        if not f.reference:
            continue
        target = services.registry.by_name(f.reference)
        if not may(services, session, target, "read"):
            continue
        found[f.name] = titles_by_id(services, target, (i.get(f.name) for i in items))
    return found


def options(services: Services, entity: Entity) -> dict[str, list[PicklistValue]]:
    return services.records.picklist_options(entity)


def reference_choices(
    services: Services, session: WebSession, f: Field
) -> list[tuple[int, str]] | None:
    """Every record a small referenced entity has, as (id, title); None when too many."""
    assert f.reference is not None
    target = services.registry.by_name(f.reference)
    if not may(services, session, target, "read"):
        return None
    include = ["id", *target.title_fields]
    page = services.records.query(target, {"IncludeFields": include}, page_size=SMALL_LIST)
    if page.has_next:
        return None
    return sorted(((int(i["id"]), title(target, i)) for i in page.items), key=lambda p: p[1])


@dataclass
class Related:
    """Records of another entity pointing at this one through ``field``."""

    entity: Entity
    field: Field
    items: list[dict[str, Any]]
    has_more: bool
    references: dict[str, dict[int, str]]
    options: dict[str, list[PicklistValue]]


def related_sections(
    services: Services, session: WebSession, entity: Entity, record_id: int
) -> list[Related]:
    """Every readable entity with a field referencing ``entity``: its first rows here."""
    sections = []
    for other in services.registry:
        if not other.can_query or not may(services, session, other, "read"):
            continue
        for f in other.fields:
            if f.reference != entity.name or not f.queryable:
                continue
            document = {"filter": [{"op": "eq", "field": f.name, "value": record_id}]}
            page = services.records.query(other, document, page_size=RELATED_ROWS)
            if not page.items:
                continue
            shown = [other.require(n) for n in other.list_fields if n != f.name]
            refs = reference_titles(services, session, other, shown, page.items)
            sections.append(
                Related(other, f, page.items, page.has_next, refs, options(services, other))
            )
    return sections


def history(services: Services, entity: Entity, record_id: int) -> list[dict[str, Any]]:
    """The record's history, newest first, each entry naming who made it."""
    from mspcrm.domain.entities import RESOURCE

    entries = list(reversed(services.records.record_history(entity, record_id)))[:50]
    people = titles_by_id(services, RESOURCE, (e["resourceID"] for e in entries))
    for entry in entries:
        entry["who"] = people.get(entry["resourceID"] or 0, "system")
    return entries
