"""The data-quality audit: feed the pure rules of ``domain.audit`` from the database.

Records are read in keyset-paged batches; the per-company counts of primary
contacts and locations come from one grouped query each. Near-duplicate
clusters come from ``DuplicateService.scan``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from mspcrm.domain import audit
from mspcrm.domain.audit import Finding
from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION, CONTACT, OPPORTUNITY
from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import utc_now
from mspcrm.errors import ValidationError
from mspcrm.query.ast import Group
from mspcrm.services.duplicates import DuplicateService
from mspcrm.store import repository
from mspcrm.store.database import Database
from mspcrm.store.duplicate_keys import default_region
from mspcrm.store.reports import count_by, id_and_value

BATCH = 2000


class AuditService:
    def __init__(self, db: Database, duplicates: DuplicateService) -> None:
        self.db, self.duplicates = db, duplicates

    def run(
        self,
        *,
        rules: list[str] | None = None,
        duplicates: bool = True,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Every finding (or those of ``rules``), worst first, with counts by severity."""
        wanted = set(rules or audit.RULES)
        unknown = wanted - set(audit.RULES)
        if unknown:
            raise ValidationError(
                f"Unknown audit rule(s) {', '.join(sorted(unknown))}: use {', '.join(audit.RULES)}"
            )
        if not duplicates:
            wanted.discard("duplicates.cluster")
        found = [
            *self._companies(),
            *self._contacts(),
            *self._locations(),
            *self._opportunities(now or utc_now()),
        ]
        if "duplicates.cluster" in wanted:
            found += self._clusters()
        kept = [f for f in found if f.rule in wanted]
        kept.sort(key=lambda f: (-audit.severity_rank(f.severity), f.rule, f.entity, f.record_id))
        counts = {s: sum(1 for f in kept if f.severity == s) for s in audit.SEVERITIES}
        return {"findings": [f.to_wire() for f in kept], "counts": counts, "total": len(kept)}

    def _stream(self, entity: Entity) -> Iterator[dict[str, Any]]:
        after: int | None = None
        while True:
            with self.db.read() as conn:
                page = repository.select_page(
                    conn, entity, Group("and", ()), limit=BATCH, after_id=after
                )
            yield from page
            if len(page) < BATCH:
                return
            after = page[-1]["id"]

    def _companies(self) -> list[Finding]:
        with self.db.read() as conn:
            contacts = count_by(conn, CONTACT, "companyID", {"primaryContact": True, "isActive": 1})
            sites = count_by(conn, COMPANY_LOCATION, "companyID", {"isPrimary": True})
            region = default_region(conn)
        out: list[Finding] = []
        for company in self._stream(COMPANY):
            cid = company["id"]
            out += audit.company_findings(company, contacts.get(cid, 0), sites.get(cid, 0))
            name = str(company.get("companyName") or "")
            out += audit.naming_findings("Company", cid, name, legal=True)
            out += audit.phone_findings("Company", company, name, default_region=region)
        return out

    def _contacts(self) -> list[Finding]:
        with self.db.read() as conn:
            types = dict(id_and_value(conn, COMPANY, "companyType"))
            countries = dict(id_and_value(conn, COMPANY, "countryID"))
            region = default_region(conn)
        out: list[Finding] = []
        for contact in self._stream(CONTACT):
            out += audit.contact_findings(contact, types.get(contact["companyID"]))
            name = audit.contact_name(contact)
            if contact.get("isActive"):
                country = countries.get(contact["companyID"])
                out += audit.phone_findings(
                    "Contact", contact, name, default_region=region, company_country=country
                )
            for part in ("firstName", "lastName"):
                value = str(contact.get(part) or "")
                out += [
                    f
                    for f in audit.naming_findings("Contact", contact["id"], value, legal=False)
                    if f.rule == "naming.whitespace"
                ]
        return out

    def _locations(self) -> list[Finding]:
        with self.db.read() as conn:
            region = default_region(conn)
        out: list[Finding] = []
        for site in self._stream(COMPANY_LOCATION):
            name = str(site.get("name") or "")
            out += audit.naming_findings("CompanyLocation", site["id"], name, legal=False)
            out += audit.phone_findings("CompanyLocation", site, name, default_region=region)
        return out

    def _opportunities(self, now: datetime) -> list[Finding]:
        out: list[Finding] = []
        for opportunity in self._stream(OPPORTUNITY):
            out += audit.opportunity_findings(opportunity, now)
        return out

    def _clusters(self) -> list[Finding]:
        out: list[Finding] = []
        for entity in ("Company", "Contact"):
            report = self.duplicates.scan_report(entity)
            for cluster in report["clusters"]:
                ids = cluster["ids"]
                names = [cluster["names"].get(str(i), "") for i in ids]
                others = ", ".join(f"{i} {n!r}" for i, n in zip(ids[1:], names[1:], strict=True))
                out.append(
                    Finding(
                        "duplicates.cluster",
                        entity,
                        ids[0],
                        names[0],
                        f"looks like {others} ({cluster['verdict']})",
                        f"plan a merge of {entity} {ids[0]} and {ids[1]} "
                        "(POST /api/v1/merges/plan), then merge",
                    )
                )
        return out
