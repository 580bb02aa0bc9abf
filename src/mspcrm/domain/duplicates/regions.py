"""The region a record's phone numbers are read in: its country, else the installation's.

``countryID`` is the ISO 3166 numeric code (the Country table is seeded that way), so
the region (ISO alpha-2, what ``phonenumbers`` reads) follows from the value alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import pycountry

from mspcrm.domain.duplicates.normalise import DEFAULT_REGION


def phone_region(country_id: Any, default: str = DEFAULT_REGION) -> str:
    """The ISO alpha-2 code of ``country_id`` (an ISO numeric code), else ``default``."""
    if country_id is None or isinstance(country_id, bool):
        return default
    try:
        numeric = int(country_id)
    except (TypeError, ValueError):
        return default
    return _alpha_2(numeric) or default


def record_region(record: Mapping[str, Any], default: str, company_country: Any = None) -> str:
    """The region a record's phone numbers are read in: its company's country (a
    contact's), else its own ``countryID``, else ``default`` (the installation's)."""
    country = company_country if company_country is not None else record.get("countryID")
    return phone_region(country, default)


@lru_cache(maxsize=512)
def _alpha_2(numeric: int) -> str | None:
    if not 0 < numeric < 1000:
        return None
    country = pycountry.countries.get(numeric=f"{numeric:03d}")
    return str(country.alpha_2) if country is not None else None


def is_region(code: str) -> bool:
    """True for an ISO 3166 alpha-2 code ('GB', 'de')."""
    return len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None
