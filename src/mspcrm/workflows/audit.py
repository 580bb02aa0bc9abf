"""The data-quality audit over the port: feed the pure rules of ``domain.audit``.

Records are read a page at a time (companies, contacts, sites, opportunities); the
primary contacts and locations per company come from one query each. Near-duplicate
clusters come from a scan: over the port by default (page and score locally), or the
caller's faster one (in process, the indexed scan of ``services/duplicates.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from mspcrm.domain import audit
from mspcrm.domain.audit import Finding
from mspcrm.domain.duplicates import DEFAULT_REGION
from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION, CONTACT, OPPORTUNITY
from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import utc_now
from mspcrm.errors import ValidationError
from mspcrm.workflows import duplicates
from mspcrm.workflows.port import Port, Record, eq, typed

Scan = Callable[[str], dict[str, Any]]  # entity name -> {"clusters": [...]}
DUPLICATES = "duplicates.cluster"


def rules_wanted(rules: list[str] | None, with_duplicates: bool) -> set[str]:
    wanted = set(rules or audit.RULES)
    unknown = wanted - set(audit.RULES)
    if unknown:
        raise ValidationError(
            f"Unknown audit rule(s) {', '.join(sorted(unknown))}: use {', '.join(audit.RULES)}"
        )
    if not with_duplicates:
        wanted.discard(DUPLICATES)
    return wanted


def run(
    port: Port,
    *,
    rules: list[str] | None = None,
    duplicates: bool = True,
    now: datetime | None = None,
    scan: Scan | None = None,
    region: str = DEFAULT_REGION,
) -> dict[str, Any]:
    """Every finding (or those of ``rules``), worst first, with counts by severity.
    ``region``: the installation's default region for phone numbers."""
    wanted = rules_wanted(rules, duplicates)
    companies: dict[int, Record] = {}
    found = [
        *_companies(port, companies, region),
        *_contacts(port, companies, region),
        *_locations(port, region),
        *_opportunities(port, now or utc_now()),
    ]
    if DUPLICATES in wanted:
        found += _clusters(scan or (lambda name: _scan(port, name)))
    kept = [f for f in found if f.rule in wanted]
    kept.sort(key=lambda f: (-audit.severity_rank(f.severity), f.rule, f.entity, f.record_id))
    counts = {s: sum(1 for f in kept if f.severity == s) for s in audit.SEVERITIES}
    return {"findings": [f.to_wire() for f in kept], "counts": counts, "total": len(kept)}


def _scan(port: Port, entity: str) -> dict[str, Any]:
    return duplicates.scan_report(port, entity)


def _all(port: Port, entity: Entity) -> Iterator[Record]:
    return (typed(entity, r) for r in port.query(entity.path, []))


def _per_company(port: Port, entity: Entity, condition: list[Any]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for record in port.query(entity.path, condition, fields=("companyID",)):
        counts[record["companyID"]] = counts.get(record["companyID"], 0) + 1
    return counts


def _companies(port: Port, seen: dict[int, Record], region: str) -> list[Finding]:
    primary_people = [eq("primaryContact", True), eq("isActive", 1)]
    contacts = _per_company(port, CONTACT, primary_people)
    sites = _per_company(port, COMPANY_LOCATION, [eq("isPrimary", True)])
    out: list[Finding] = []
    for company in _all(port, COMPANY):
        cid = company["id"]
        seen[cid] = {k: company.get(k) for k in ("companyType", "countryID")}
        out += audit.company_findings(company, contacts.get(cid, 0), sites.get(cid, 0))
        name = str(company.get("companyName") or "")
        out += audit.naming_findings("Company", cid, name, legal=True)
        out += audit.phone_findings("Company", company, name, default_region=region)
    return out


def _contacts(port: Port, companies: dict[int, Record], region: str) -> list[Finding]:
    out: list[Finding] = []
    for contact in _all(port, CONTACT):
        company = companies.get(contact["companyID"], {})
        out += audit.contact_findings(contact, company.get("companyType"))
        name = audit.contact_name(contact)
        if contact.get("isActive"):
            out += audit.phone_findings(
                "Contact",
                contact,
                name,
                default_region=region,
                company_country=company.get("countryID"),
            )
        for part in ("firstName", "lastName"):
            value = str(contact.get(part) or "")
            out += [
                f
                for f in audit.naming_findings("Contact", contact["id"], value, legal=False)
                if f.rule == "naming.whitespace"
            ]
    return out


def _locations(port: Port, region: str) -> list[Finding]:
    out: list[Finding] = []
    for site in _all(port, COMPANY_LOCATION):
        name = str(site.get("name") or "")
        out += audit.naming_findings("CompanyLocation", site["id"], name, legal=False)
        out += audit.phone_findings("CompanyLocation", site, name, default_region=region)
    return out


def _opportunities(port: Port, now: datetime) -> list[Finding]:
    out: list[Finding] = []
    for opportunity in _all(port, OPPORTUNITY):
        out += audit.opportunity_findings(opportunity, now)
    return out


def _clusters(scan: Scan) -> list[Finding]:
    out: list[Finding] = []
    for entity in ("Company", "Contact"):
        for cluster in scan(entity)["clusters"]:
            ids = cluster["ids"]
            names = [cluster["names"].get(str(i), "") for i in ids]
            others = ", ".join(f"{i} {n!r}" for i, n in zip(ids[1:], names[1:], strict=True))
            out.append(
                Finding(
                    DUPLICATES,
                    entity,
                    ids[0],
                    names[0],
                    f"looks like {others} ({cluster['verdict']})",
                    f"plan a merge of {entity} {ids[0]} and {ids[1]} "
                    "(POST /api/v1/merges/plan), then merge",
                )
            )
    return out
