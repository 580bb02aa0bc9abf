"""Search that returns ranked candidates with a reason each, never a silent first match.

Candidates are fetched with ordinary queries (so this works against any
Autotask-compatible server) and ranked with the same deterministic scorer the
duplicate check uses (companies, contacts), or by how the text matched.
"""

from __future__ import annotations

import re
from typing import Any

from mspcrm.domain.duplicates import DEFAULT_REGION, normalise_phone, profile_for, record_region
from mspcrm.domain.entity import Entity
from mspcrm.duplicate_lookup import add_company_countries
from mspcrm.mcp.toolbox import Toolbox
from mspcrm.sdk import F
from mspcrm.sdk.query import Node, and_, or_

CANDIDATES = 100
# Evidence that names how two look-alike records differ or relate (weight 0 or less): shown
# with every candidate, and with a find-or-create's "matched" answer.
DIFFERENCE_SIGNALS = frozenset(
    {
        "different_company_type",
        "different_company",
        "different_country",
        "inactive",
        "parent_company",
        "child_company",
        "sibling_company",
    }
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN = re.compile(r"^(https?://)?(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)+(/.*)?$", re.IGNORECASE)


def kind_of(text: str) -> str:
    """What the search text is: email, domain, phone, id or name."""
    digits = re.sub(r"\D", "", text)
    if EMAIL.match(text):
        return "email"
    if DOMAIN.match(text) and " " not in text:
        return "domain"
    if len(digits) >= 7 and len(digits) >= len(text.replace(" ", "")) * 0.6:
        return "phone"
    if text.isdigit():
        return "id"
    return "name"


def probe_for(entity: Entity, text: str, kind: str) -> dict[str, Any]:
    """The search text as a record the duplicate scorer can compare with."""
    if entity.name == "Company":
        field = {"email": "webAddress", "domain": "webAddress", "phone": "phone"}.get(kind)
        value = text.split("@")[-1] if kind == "email" else text
        return {field or "companyName": value}
    if kind == "email":
        return {"emailAddress": text}
    if kind == "phone":
        return {"phone": text}
    first, _, last = text.strip().partition(" ")
    return {"firstName": first, "lastName": last} if last else {"lastName": first}


def conditions(entity: Entity, text: str, kind: str) -> list[Node]:
    """Queries that find every plausible candidate (the ranking sorts them out)."""
    if kind == "phone":
        tail = re.sub(r"\D", "", text)[-4:]
        fields = [f for f in ("phone", "mobilePhone", "alternatePhone1") if entity.field(f)]
        return [F(f).contains(tail) for f in fields]
    if kind in ("email", "domain"):
        domain = text.split("@")[-1].lower()
        domain = re.sub(r"^(https?://)?(www\.)?", "", domain).split("/")[0]
        fields = [f for f in ("emailAddress", "webAddress") if entity.field(f)]
        return [F(f).contains(domain if f == "webAddress" else text) for f in fields]
    found: list[Node] = [F(f).contains(text) for f in entity.search_fields]
    words = [w for w in re.split(r"\W+", text) if len(w) >= 3]
    if entity.name == "Contact" and len(text.split()) >= 2:
        first, last = text.split()[0], text.split()[-1]
        found.append(and_(F("firstName").contains(first), F("lastName").contains(last)))
    elif len(words) > 1:
        longest = max(words, key=len)
        found.extend(F(f).contains(longest) for f in entity.title_fields)
    return found


def text_reason(entity: Entity, record: dict[str, Any], text: str) -> tuple[float, str]:
    """A score and a reason from how the text matches the record's search fields."""
    wanted = text.strip().lower()
    best: tuple[float, str] = (0.0, "")
    for name in entity.search_fields:
        value = str(record.get(name) or "").lower()
        if not value:
            continue
        if value == wanted:
            option = (90.0, f"{name} is exactly {text!r}")
        elif value.startswith(wanted):
            option = (70.0, f"{name} begins with {text!r}")
        elif wanted in value:
            option = (55.0, f"{name} contains {text!r}")
        elif _same_phone(value, wanted, record_region(record, DEFAULT_REGION)):
            option = (90.0, f"{name} is the same phone number")
        else:
            continue
        best = max(best, option)
    return best


def _same_phone(value: str, wanted: str, region: str) -> bool:
    """The stored number (read in its record's country) and the searched one are equal."""
    stored = normalise_phone(value, region)
    return stored is not None and stored in (
        normalise_phone(wanted, region),
        normalise_phone(wanted),
    )


def differences(match: dict[str, Any]) -> list[str]:
    """How a scored candidate differs from or relates to what was asked for, in words
    ('different_company_type: Customer vs Prospect'): [] when nothing does."""
    return [
        f"{item['signal']}: {item['detail']}"
        for item in match.get("evidence", ())
        if item.get("signal") in DIFFERENCE_SIGNALS
    ]


def rank(
    box: Toolbox,
    entity: Entity,
    text: str,
    kind: str,
    records: list[dict[str, Any]],
    company_id: int | None = None,
) -> list[dict[str, Any]]:
    scorer = None
    probe = probe_for(entity, text, kind)
    if entity.name in ("Company", "Contact"):
        profile = profile_for(entity.name)
        scorer = profile.scorer
        if company_id is not None and profile.company_country:
            probe[profile.company_country] = company_id
        # a contact's phones are read in its company's country (the probe's: the one asked)
        add_company_countries(box.client, profile, [probe, *records])
    ranked = []
    for record in records:
        score, reason = text_reason(entity, record, text)
        reasons = [reason] if reason else []
        if scorer is not None:
            match = scorer(probe, record)
            if match.score > score:
                score = match.score
            reasons = [
                f"{e.signal}: {e.detail}" if e.signal in DIFFERENCE_SIGNALS else e.detail
                for e in match.evidence
            ] + reasons
        if score <= 0:
            score, reasons = 30.0, [f"matched the query on {kind}, weakly"]
        ranked.append(
            {
                "id": record["id"],
                "label": box.label(entity, record),
                "score": round(score, 1),
                "reasons": reasons,
                "record": box.summary(entity, record),
            }
        )
    ranked.sort(key=lambda c: (-c["score"], c["id"]))
    return ranked


def filters(entity: Entity, args: dict[str, Any], found: list[Node]) -> Node:
    parts: list[Node] = [or_(*found)] if len(found) > 1 else list(found)
    if not args.get("include_inactive") and entity.field("isActive"):
        parts.append(F("isActive").eq(True))
    if args.get("company_id") is not None and entity.field("companyID"):
        parts.append(F("companyID").eq(int(args["company_id"])))
    return and_(*parts) if len(parts) > 1 else parts[0]


def search(box: Toolbox, args: dict[str, Any]) -> dict[str, Any]:
    entity = box.entity(str(args["entity"]))
    text = str(args["query"]).strip()
    limit = int(args.get("limit") or 10)
    kind = kind_of(text)
    records: list[dict[str, Any]] = []
    if kind == "id":
        record = box.client.entity(entity.path).get(int(text))
        records = [record] if record else []
    records += list(
        box.client.entity(entity.path).query(
            filters(entity, args, conditions(entity, text, kind)), max_records=CANDIDATES
        )
    )
    unique = list({r["id"]: r for r in records}.values())
    company_id = None if args.get("company_id") is None else int(args["company_id"])
    ranked = rank(box, entity, text, kind, unique, company_id)[:limit]
    add_company_names(box, entity, ranked)
    return {
        "entity": entity.path,
        "query": text,
        "interpretedAs": kind,
        "count": len(ranked),
        "candidates": ranked,
        "note": "Ranked candidates, best first. Confirm the right one (ask the user when two "
        "are close) before you write to it.",
    }


def add_company_names(box: Toolbox, entity: Entity, ranked: list[dict[str, Any]]) -> None:
    """One query for the company names of contacts, sites, opportunities (no N+1)."""
    ids = {c["record"].get("companyID") for c in ranked} - {None}
    if entity.name == "Company" or not ids:
        return
    companies = box.client.companies.query(
        F("id").in_(sorted(ids)), include_fields=["id", "companyName"]
    )
    names = {c["id"]: c.get("companyName") for c in companies}
    for candidate in ranked:
        candidate["companyName"] = names.get(candidate["record"].get("companyID"))
