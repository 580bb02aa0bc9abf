"""Resolve names given in place of ids (``"country": "United States"`` -> ``countryID``).

Generic over the declarations: an entity's ``name_inputs`` name the reference
field, the referenced entity's ``lookup_fields`` say what a name may match.
"""

from __future__ import annotations

from typing import Any

import pycountry
from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.validation import WriteBody
from mspcrm.errors import ValidationError
from mspcrm.store import repository

# common spellings ISO 3166 does not list
COUNTRY_ALIASES = {
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "holland": "NL",
    "south korea": "KR",
    "russia": "RU",
    "czech republic": "CZ",
    "uae": "AE",
}


def resolve_names(conn: Connection, registry: Registry, entity: Entity, read: WriteBody) -> None:
    for target_name, text in list(read.names.items()):
        target_field = entity.require(target_name)
        if read.values.get(target_name) is not None:
            continue  # an explicit id wins over a name
        assert target_field.reference is not None
        referenced = registry.by_name(target_field.reference)
        found = find_by_name(conn, referenced, text)
        if found is None:
            raise ValidationError(
                f"Unknown {referenced.name.lower()} {text!r}: give a name or code of an existing "
                f"{referenced.name}, or {target_name}"
            )
        read.values[target_name] = found


def find_by_name(conn: Connection, entity: Entity, text: str) -> int | None:
    """The id of the record whose lookup field equals ``text`` (any case), if exactly one does."""
    candidates = [text]
    if entity.name == "Country":
        candidates += _country_codes(text)
    for candidate in candidates:
        for field in entity.lookup_fields:
            ids = repository.find_ids(conn, entity, {field: candidate}, limit=2)
            if len(ids) == 1:
                return ids[0]
    return None


def _country_codes(text: str) -> list[str]:
    alias = COUNTRY_ALIASES.get(text.strip().lower())
    if alias:
        return [alias]
    try:
        country: Any = pycountry.countries.lookup(text.strip())
    except LookupError:
        return []
    return [str(country.alpha_2)]
