"""Data-quality audit rules (pure Python): each takes records and returns findings.

A finding names the rule, its severity, the record and the fix, so a person or
an agent can act on it. ``services.audit`` feeds the rules from the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mspcrm.domain.duplicates import is_free_mail
from mspcrm.domain.duplicates.legal_forms import standard_spelling
from mspcrm.domain.duplicates.normalise import (
    DEFAULT_REGION,
    email_domain,
    fold_text,
    normalise_email,
    normalise_phone,
)
from mspcrm.domain.duplicates.regions import record_region
from mspcrm.domain.rules import invalid_emails
from mspcrm.errors import ValidationError

INFO, WARNING, ERROR = "info", "warning", "error"
SEVERITIES = (INFO, WARNING, ERROR)
DEAD, CANCELATION = 4, 7  # Company.companyType values of former clients
ROOT_COMPANY_ID = 0  # the MSP itself
PHONE_FIELDS = {
    "Company": ("phone", "alternatePhone1", "alternatePhone2", "fax"),
    "Contact": ("phone", "mobilePhone", "alternatePhone", "faxNumber"),
    "CompanyLocation": ("phone", "alternatePhone1", "alternatePhone2", "fax"),
}
RULES: dict[str, tuple[str, str]] = {
    "company.no-account-manager": (WARNING, "an active company without an account manager"),
    "company.no-primary-contact": (WARNING, "an active company without a primary contact"),
    "company.no-primary-location": (ERROR, "a company without a primary location"),
    "company.several-primaries": (ERROR, "more than one primary contact or location"),
    "contact.active-at-former-client": (WARNING, "an active contact at a Dead/Cancelation company"),
    "contact.invalid-email": (ERROR, "an e-mail address that is not an address"),
    "contact.free-mail": (WARNING, "a business contact with a free-mail address"),
    "phone.unparseable": (WARNING, "a phone number that cannot be read as one"),
    "opportunity.past-close": (WARNING, "an Active opportunity past its projected close date"),
    "duplicates.cluster": (WARNING, "records that look like the same company or person"),
    "naming.whitespace": (WARNING, "a name with leading, trailing or repeated spaces"),
    "naming.all-caps": (INFO, "a name written in capitals"),
    "naming.legal-suffix": (INFO, "a legal suffix not written the standard way"),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    entity: str
    record_id: int
    name: str
    message: str
    fix: str

    @property
    def severity(self) -> str:
        return RULES[self.rule][0]

    def to_wire(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "entity": self.entity,
            "id": self.record_id,
            "name": self.name,
            "message": self.message,
            "fix": self.fix,
        }


def severity_rank(severity: str) -> int:
    if severity not in SEVERITIES:
        raise ValidationError(f"Unknown severity {severity!r}: use one of {', '.join(SEVERITIES)}")
    return SEVERITIES.index(severity)


def at_or_above(findings: Iterable[Finding], threshold: str) -> list[Finding]:
    floor = severity_rank(threshold)
    return [f for f in findings if severity_rank(f.severity) >= floor]


# ---- companies ---------------------------------------------------------------------------
def company_findings(
    company: Mapping[str, Any], primary_contacts: int, primary_locations: int
) -> list[Finding]:
    cid, name = int(company["id"]), str(company.get("companyName") or "")
    out: list[Finding] = []
    if primary_locations == 0:
        out.append(
            Finding(
                "company.no-primary-location",
                "Company",
                cid,
                name,
                "has no primary location",
                "add a location with isPrimary true, or make an existing one primary",
            )
        )
    if primary_contacts > 1 or primary_locations > 1:
        out.append(
            Finding(
                "company.several-primaries",
                "Company",
                cid,
                name,
                f"has {primary_contacts} primary contacts and {primary_locations} "
                "primary locations",
                "keep one primary contact and one primary location",
            )
        )
    if cid == ROOT_COMPANY_ID or not company.get("isActive"):
        return out
    if company.get("companyType") in (DEAD, CANCELATION):
        return out
    if company.get("ownerResourceID") is None:
        out.append(
            Finding(
                "company.no-account-manager",
                "Company",
                cid,
                name,
                "has no account manager (ownerResourceID)",
                "set ownerResourceID, or mspcrm companies transfer",
            )
        )
    if primary_contacts == 0:
        out.append(
            Finding(
                "company.no-primary-contact",
                "Company",
                cid,
                name,
                "has no primary contact",
                "set primaryContact true on the main contact",
            )
        )
    return out


# ---- contacts ----------------------------------------------------------------------------
def contact_name(contact: Mapping[str, Any]) -> str:
    return f"{contact.get('firstName') or ''} {contact.get('lastName') or ''}".strip()


def contact_findings(contact: Mapping[str, Any], company_type: Any) -> list[Finding]:
    if not contact.get("isActive"):
        return []
    cid, name = int(contact["id"]), contact_name(contact)
    out: list[Finding] = []
    if company_type in (DEAD, CANCELATION):
        out.append(
            Finding(
                "contact.active-at-former-client",
                "Contact",
                cid,
                name,
                f"is active at company {contact.get('companyID')}, a former client",
                f"mspcrm contacts deactivate {cid}",
            )
        )
    for problem in invalid_emails(contact):
        out.append(
            Finding(
                "contact.invalid-email",
                "Contact",
                cid,
                name,
                problem,
                "correct the address or clear it",
            )
        )
    email = contact.get("emailAddress")
    if email and not invalid_emails({"emailAddress": email}):
        domain = email_domain(normalise_email(str(email)))
        if is_free_mail(domain):
            out.append(
                Finding(
                    "contact.free-mail",
                    "Contact",
                    cid,
                    name,
                    f"uses a free-mail address ({email})",
                    "ask for the business address; keep the personal one in emailAddress2",
                )
            )
    return out


def phone_findings(
    entity: str,
    record: Mapping[str, Any],
    name: str,
    *,
    default_region: str = DEFAULT_REGION,
    company_country: Any = None,
) -> list[Finding]:
    """Phone numbers that are not numbers, read as the duplicate scorer reads them: in the
    company's country (``company_country``, a contact's), the record's own, or
    ``default_region`` (the installation's)."""
    region = record_region(record, default_region, company_country)
    out = []
    for field in PHONE_FIELDS.get(entity, ()):
        value = record.get(field)
        if value and str(value).strip() and normalise_phone(str(value), region) is None:
            out.append(
                Finding(
                    "phone.unparseable",
                    entity,
                    int(record["id"]),
                    name,
                    f"{field} {value!r} is not a phone number (read as a number in {region})",
                    f"write {field} with its country code (e.g. +44 20 7946 0018), "
                    "or set the record's country",
                )
            )
    return out


# ---- opportunities -----------------------------------------------------------------------
ACTIVE_OPPORTUNITY = 1


def opportunity_findings(opportunity: Mapping[str, Any], now: datetime) -> list[Finding]:
    close = opportunity.get("projectedCloseDate")
    if opportunity.get("status") != ACTIVE_OPPORTUNITY or close is None or close >= now:
        return []
    oid, title = int(opportunity["id"]), str(opportunity.get("title") or "")
    return [
        Finding(
            "opportunity.past-close",
            "Opportunity",
            oid,
            title,
            f"is Active but was projected to close on {close:%Y-%m-%d}",
            "close it as won or lost, or move projectedCloseDate",
        )
    ]


# ---- names -------------------------------------------------------------------------------
def naming_findings(entity: str, record_id: int, name: str, *, legal: bool) -> list[Finding]:
    out: list[Finding] = []
    tidy = " ".join(name.split())
    if tidy != name:
        out.append(
            Finding(
                "naming.whitespace",
                entity,
                record_id,
                name,
                "has leading, trailing or repeated spaces",
                f"rename to {tidy!r}",
            )
        )
    letters = [c for c in tidy if c.isalpha()]
    if len(letters) >= 5 and all(c.isupper() for c in letters):
        out.append(
            Finding(
                "naming.all-caps",
                entity,
                record_id,
                tidy,
                "is written in capitals",
                f"rename to {tidy.title()!r} (keep real acronyms)",
            )
        )
    suffix = _suffix_fix(tidy) if legal else None
    if suffix is not None:
        out.append(
            Finding(
                "naming.legal-suffix",
                entity,
                record_id,
                tidy,
                "writes its legal suffix in a non-standard way",
                f"rename to {suffix!r}",
            )
        )
    return out


def _suffix_fix(name: str) -> str | None:
    head, _, last = name.rpartition(" ")
    key = fold_text(last).replace(" ", "")
    standard = standard_spelling(key)
    if not head or standard is None:
        return None
    stem = head.rstrip(",").rstrip()
    fixed = f"{stem} {standard}"
    return None if fixed == name else fixed
