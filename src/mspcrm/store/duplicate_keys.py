"""The duplicate-check keys of records as the installation reads them: phone numbers in
each record's region (a contact's: its company's country, added to the record here),
else the installation's default region (the ``default-region`` setting)."""

from __future__ import annotations

import time
import weakref
from typing import Any

from sqlalchemy.engine import Connection, Engine

from mspcrm.domain.duplicates import DEFAULT_REGION, DuplicateProfile, profile_for
from mspcrm.domain.entities import ENTITIES
from mspcrm.domain.entity import Entity
from mspcrm.store import installation, match_keys

DEFAULT_REGION_SETTING = "default-region"


# The setting changes rarely and is read on every check and write of a company or contact:
# each engine's value is kept this many seconds (another process's change shows within that
# time; a change made here at once, through ``forget_region``).
REGION_CACHE_SECONDS = 2.0
_regions: weakref.WeakKeyDictionary[Engine, tuple[float, str]] = weakref.WeakKeyDictionary()


def default_region(conn: Connection) -> str:
    """The installation's default region for phone numbers (ISO alpha-2; 'US' unless set)."""
    where = conn.engine
    now = time.monotonic()
    cached = _regions.get(where)
    if cached is not None and now - cached[0] < REGION_CACHE_SECONDS:
        return cached[1]
    region = installation.get(conn, DEFAULT_REGION_SETTING) or DEFAULT_REGION
    _regions[where] = (now, region)
    return region


def forget_region(conn: Connection) -> None:
    """Read the default region afresh next time (after it was set)."""
    _regions.pop(conn.engine, None)


def regional_profile(conn: Connection, entity_name: str) -> DuplicateProfile:
    """The entity's duplicate profile with the installation's default region."""
    return profile_for(entity_name).for_region(default_region(conn))


def add_company_countries(
    conn: Connection, entity: Entity, profile: DuplicateProfile, records: list[dict[str, Any]]
) -> None:
    """Give each record its company's ``countryID`` (where the profile reads phones in the
    company's country: a contact's), under ``profile.company_country_key``."""
    field, key = profile.company_country, profile.company_country_key
    if field is None or key is None:
        return
    target = declared_entity(entity.require(field).reference)
    ids = sorted({int(r[field]) for r in records if r.get(field) is not None})
    countries = {
        int(row["id"]): row["countryID"]
        for row in match_keys.read_fields(conn, target, ("id", "countryID"), ids)
    }
    for record in records:
        company = record.get(field)
        record[key] = None if company is None else countries.get(int(company))


def declared_entity(name: str | None) -> Entity:
    """The declared entity of this name (a field's ``reference``)."""
    for entity in ENTITIES:
        if entity.name == name:
            return entity
    raise LookupError(f"no entity named {name!r}")


def rebuild_keys(conn: Connection, entity: Entity) -> int:
    """Every record's blocking keys again (after the key definitions or the default region
    changed), in one transaction; returns the records indexed."""
    profile = regional_profile(conn, entity.name)
    countries: dict[int, Any] = {}
    if profile.company_country is not None:
        target = declared_entity(entity.require(profile.company_country).reference)
        for page in match_keys.iter_fields(conn, target, ("id", "countryID")):
            countries.update((int(r["id"]), r["countryID"]) for r in page if r["countryID"])

    def keys_of(record: dict[str, Any]) -> frozenset[str]:
        if profile.company_country is not None and profile.company_country_key is not None:
            company = record.get(profile.company_country)
            record[profile.company_country_key] = (
                None if company is None else countries.get(int(company))
            )
        return profile.blocking_keys(record)

    return match_keys.rebuild(conn, entity, profile.fields, keys_of)
