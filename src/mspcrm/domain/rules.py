"""Business rules that need no database: small named functions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email

ROOT_COMPANY_ID = 0  # the MSP's own company, in Autotask and in mspcrm
# what makes company 0 the MSP: only an administrator level may rename, retype or deactivate it
PROTECTED_COMPANY_FIELDS = ("companyName", "companyType", "isActive")
EMAIL_FIELDS = ("emailAddress", "emailAddress2", "emailAddress3", "email", "email2", "email3")
_SPACES = re.compile(r"\s+")


def invalid_emails(values: Mapping[str, Any]) -> list[str]:
    """``Invalid email format`` for each e-mail field whose value is not an address."""
    problems = []
    for name in EMAIL_FIELDS:
        value = values.get(name)
        if value in (None, ""):
            continue
        try:
            validate_email(str(value), check_deliverability=False)
        except EmailNotValidError as exc:
            problems.append(f"Invalid email format: {name} {value!r} ({exc})")
    return problems


def normalise_email(value: str) -> str:
    return value.strip().lower()


def name_key(value: str) -> str:
    """Names compared case- and whitespace-insensitively (duplicate company names)."""
    return _SPACES.sub(" ", value).strip().casefold()


def protected_company_changes(
    values: Mapping[str, Any], current: Mapping[str, Any] | None = None
) -> list[str]:
    """The protected fields (``PROTECTED_COMPANY_FIELDS``) a write to a protected company
    would change: a rename, a retype, a deactivation. Reactivating, or sending a field's
    stored value again, changes nothing protected."""
    touched = []
    for name in PROTECTED_COMPANY_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if current is not None and current.get(name) == value:
            continue
        if name == "isActive" and value in (True, 1, "1", "true", "True"):
            continue
        touched.append(name)
    return touched
