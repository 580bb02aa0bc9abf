"""One duplicate profile per entity: the scorer, the blocking keys and the fields they read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from mspcrm.domain.duplicates.companies import (
    COMPANY_FIELDS,
    blocking_keys_company,
    score_company,
)
from mspcrm.domain.duplicates.contacts import (
    CONTACT_FIELDS,
    blocking_keys_contact,
    score_contact,
)
from mspcrm.domain.duplicates.model import BlockingKeys, Scorer
from mspcrm.errors import ValidationError


@dataclass(frozen=True, slots=True)
class DuplicateProfile:
    """How one entity's records are compared; ``fields`` are the wire fields both read."""

    entity: str
    scorer: Scorer
    blocking_keys: BlockingKeys
    fields: tuple[str, ...]


PROFILES: Final[Mapping[str, DuplicateProfile]] = MappingProxyType(
    {
        "Company": DuplicateProfile(
            "Company", score_company, blocking_keys_company, ("id", *COMPANY_FIELDS)
        ),
        "Contact": DuplicateProfile(
            "Contact", score_contact, blocking_keys_contact, ("id", *CONTACT_FIELDS)
        ),
    }
)


def profile_for(entity: str) -> DuplicateProfile:
    """The duplicate profile of an entity name ('Company', 'Contact'), case-insensitively."""
    for name, profile in PROFILES.items():
        if name.lower() == entity.lower():
            return profile
    known = ", ".join(PROFILES)
    raise ValidationError(f"duplicate checks exist for {known}, not for {entity!r}")
