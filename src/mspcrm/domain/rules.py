"""Business rules that need no database: small named functions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email

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
