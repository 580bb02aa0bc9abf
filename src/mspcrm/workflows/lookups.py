"""Names given in place of ids (``"country": "United States"`` -> ``countryID``): the rules.

Generic over the declarations: an entity's ``name_inputs`` name the reference field,
the referenced entity's ``lookup_fields`` say what a name may match; a name resolves
when exactly one record matches. ``services/lookups.py`` asks its database with these
rules; ``find_by_name`` asks the port.
"""

from __future__ import annotations

from typing import Any

import pycountry

from mspcrm.domain.entity import Entity
from mspcrm.domain.validation import WriteBody
from mspcrm.errors import ValidationError
from mspcrm.workflows.port import REGISTRY, Port, eq

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


def name_candidates(entity: Entity, text: str) -> list[str]:
    """What a name may equal: itself, and for a country its ISO code."""
    candidates = [text]
    if entity.name == "Country":
        candidates += country_codes(text)
    return candidates


def country_codes(text: str) -> list[str]:
    alias = COUNTRY_ALIASES.get(text.strip().lower())
    if alias:
        return [alias]
    try:
        country: Any = pycountry.countries.lookup(text.strip())
    except LookupError:
        return []
    return [str(country.alpha_2)]


def unknown_name(referenced: Entity, text: str, target_name: str) -> ValidationError:
    return ValidationError(
        f"Unknown {referenced.name.lower()} {text!r}: give a name or code of an existing "
        f"{referenced.name}, or {target_name}"
    )


def find_by_name(port: Port, entity: Entity, text: str) -> int | None:
    """The id of the record whose lookup field equals ``text`` (any case), if exactly one does."""
    for candidate in name_candidates(entity, text):
        for field in entity.lookup_fields:
            found = list(port.query(entity.path, [eq(field, candidate)], fields=(field,)))
            if len(found) == 1:
                return int(found[0]["id"])
    return None


def resolve_names(port: Port, entity: Entity, read: WriteBody) -> None:
    """Fill each reference given by name with the id it names (an explicit id wins)."""
    for target_name, text in list(read.names.items()):
        if read.values.get(target_name) is not None:
            continue
        reference = entity.require(target_name).reference
        assert reference is not None
        referenced = REGISTRY.by_name(reference)
        found = find_by_name(port, referenced, text)
        if found is None:
            raise unknown_name(referenced, text, target_name)
        read.values[target_name] = found
