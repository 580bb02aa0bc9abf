"""One duplicate profile per entity: the scorer, the blocking keys and the fields they read.

A profile also names the prepared form of both: ``prepare`` normalises a record once,
``score_prepared`` and ``keys_prepared`` read only that, so a scan or a check that
compares one record with many normalises each record once, not once per pair. Both
give exactly what ``scorer`` and ``blocking_keys`` give on the records themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from types import MappingProxyType
from typing import Any, Final

from mspcrm.domain.duplicates import companies, contacts
from mspcrm.domain.duplicates.model import BlockingKeys, Match, Record, Scorer
from mspcrm.domain.duplicates.normalise import DEFAULT_REGION
from mspcrm.errors import ValidationError


@dataclass(frozen=True, slots=True)
class DuplicateProfile:
    """How one entity's records are compared; ``fields`` are the wire fields both read.

    ``families``: the key families (text before ':') ``blocking_keys`` makes;
    ``identity_families``: those of which every pair scoring "matched" shares a key
    (``identity_order``: the same, strongest first; ``identity_weights``: the most a shared
    key of each adds besides the names; ``prepare_names``: the name part of ``prepare``); the
    others join pairs that only a similar name links, and ``may_be_similar`` tells cheaply
    whether two prepared records' names could (``similar_names``: which pairs of a list
    could, in bulk: at least those; ``name_weight``: the most the names add).

    Phone numbers are read in each record's region (``regions.record_region``), falling
    back to ``region``, the installation's default: ``for_region`` gives the profile for
    another default. ``company_country``: where the record's region comes from its
    company's country (a contact's), the field naming that company; the service adds the
    company's ``countryID`` to the record as ``company_country_key``.
    """

    entity: str
    scorer: Scorer
    blocking_keys: BlockingKeys
    fields: tuple[str, ...]
    prepare: Callable[[Record], Any]
    prepare_names: Callable[[Record], Any]
    score_prepared: Callable[[Any, Any], Match]
    keys_prepared: Callable[..., frozenset[str]]  # (features, *, identity_only=False)
    families: frozenset[str]
    identity_order: tuple[str, ...]
    identity_families: frozenset[str]
    identity_weights: Mapping[str, float]
    may_be_similar: Callable[[Any, Any], bool]
    name_weight: Callable[[Any, Any], float]
    similar_names: Callable[[Sequence[Any]], set[tuple[int, int]]]
    region: str = DEFAULT_REGION
    company_country: str | None = None
    company_country_key: str | None = None

    def for_region(self, region: str) -> DuplicateProfile:
        """This profile with ``region`` as the default region of phone numbers."""
        region = region.upper()
        if region == self.region:
            return self
        base = PROFILES[self.entity]
        return replace(
            base,
            region=region,
            scorer=_in_region(base.scorer, region),
            blocking_keys=_in_region(base.blocking_keys, region),
            prepare=_in_region(base.prepare, region),
        )

    def is_identity_key(self, key: str) -> bool:
        """True for a key of an identity family ('domain:acme.com' for companies)."""
        return key.partition(":")[0] in self.identity_families


def _in_region(function: Callable[..., Any], region: str) -> Any:
    """``function`` (which takes ``region=``) with that region (scorer, keys, prepare)."""
    return partial(function, region=region)


def _prepare_company(record: Record, *, region: str = DEFAULT_REGION) -> companies.CompanyFeatures:
    return companies.prepare_company(record, region=region)


def _prepare_contact(record: Record, *, region: str = DEFAULT_REGION) -> contacts.ContactFeatures:
    return contacts.prepare_contact(record, region=region)


PROFILES: Final[Mapping[str, DuplicateProfile]] = MappingProxyType(
    {
        "Company": DuplicateProfile(
            entity="Company",
            scorer=companies.score_company,
            blocking_keys=companies.blocking_keys_company,
            fields=("id", *companies.COMPANY_FIELDS, *companies.COMPANY_CONTEXT_FIELDS),
            prepare=_prepare_company,
            prepare_names=companies.prepare_company_name,
            score_prepared=companies.score_company_features,
            keys_prepared=companies.company_keys,
            families=companies.KEY_FAMILIES,
            identity_order=companies.IDENTITY_ORDER,
            identity_families=companies.IDENTITY_FAMILIES,
            identity_weights=MappingProxyType(companies.IDENTITY_WEIGHTS),
            may_be_similar=companies.names_may_be_similar,
            name_weight=companies.name_weight,
            similar_names=companies.similar_name_pairs,
        ),
        "Contact": DuplicateProfile(
            entity="Contact",
            scorer=contacts.score_contact,
            blocking_keys=contacts.blocking_keys_contact,
            fields=("id", *contacts.CONTACT_FIELDS, *contacts.CONTACT_CONTEXT_FIELDS),
            prepare=_prepare_contact,
            prepare_names=contacts.prepare_contact_name,
            score_prepared=contacts.score_contact_features,
            keys_prepared=contacts.contact_keys,
            families=contacts.KEY_FAMILIES,
            identity_order=contacts.IDENTITY_ORDER,
            identity_families=contacts.IDENTITY_FAMILIES,
            identity_weights=MappingProxyType(contacts.IDENTITY_WEIGHTS),
            may_be_similar=contacts.names_may_be_similar,
            name_weight=contacts.name_weight,
            similar_names=contacts.similar_name_pairs,
            company_country="companyID",
            company_country_key=contacts.COMPANY_COUNTRY,
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
