"""Installation settings: named values shared by every server process of one database.

``default-region``: the region (ISO 3166 alpha-2) a phone number written without its
country code is read in when its record has no country (a company's ``countryID``, a
contact's company's). Changing it re-computes the duplicate-check keys, which hold
phone numbers in E.164.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from mspcrm.domain.duplicates import DEFAULT_REGION, PROFILES, is_region
from mspcrm.errors import ValidationError
from mspcrm.services.duplicates import DuplicateService
from mspcrm.store import installation
from mspcrm.store.database import Database
from mspcrm.store.duplicate_keys import DEFAULT_REGION_SETTING, forget_region


def _region(value: str) -> str:
    code = value.strip().upper()
    if not is_region(code):
        raise ValidationError(
            f"default-region {value!r} is not an ISO 3166 country code (e.g. US, GB, DE)"
        )
    return code


SETTINGS: Final[Mapping[str, tuple[str, str, Callable[[str], str]]]] = MappingProxyType(
    {
        DEFAULT_REGION_SETTING: (
            DEFAULT_REGION,
            "the region phone numbers without a country code are read in, when the "
            "record has no country (ISO code: US, GB, DE, ...)",
            _region,
        ),
    }
)


class SettingsService:
    def __init__(self, db: Database, duplicates: DuplicateService) -> None:
        self.db, self.duplicates = db, duplicates

    def show(self) -> list[dict[str, Any]]:
        """Every known setting: its value (or default), whether it was set, what it means."""
        with self.db.read() as conn:
            stored = installation.every(conn)
        return [
            {
                "name": name,
                "value": stored.get(name, default),
                "isDefault": name not in stored,
                "description": description,
            }
            for name, (default, description, _) in SETTINGS.items()
        ]

    def get(self, name: str) -> str:
        default, _, _ = self._known(name)
        with self.db.read() as conn:
            return installation.get(conn, name) or default

    def set(self, name: str, value: str) -> dict[str, Any]:
        """Set one setting; the default region re-computes the duplicate-check keys."""
        default, _, parse = self._known(name)
        parsed = parse(value)
        with self.db.write() as conn:
            before = installation.get(conn, name) or default
            installation.put(conn, name, parsed)
            forget_region(conn)
        reindexed: dict[str, int] = {}
        if name == DEFAULT_REGION_SETTING and before != parsed:
            reindexed = {entity: self.duplicates.reindex(entity) for entity in PROFILES}
        return {"name": name, "value": parsed, "reindexed": reindexed}

    @staticmethod
    def _known(name: str) -> tuple[str, str, Callable[[str], str]]:
        if name not in SETTINGS:
            raise ValidationError(f"Unknown setting {name!r}: use {', '.join(SETTINGS)}")
        return SETTINGS[name]
