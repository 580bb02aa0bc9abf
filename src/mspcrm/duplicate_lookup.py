"""Verify before create from the client side: the server's scored check, or the same scorer here.

Against an mspcrm server the check is one call to ``/api/v1``; a real Autotask
tenant has no such route, so the candidates are fetched with ordinary queries
and scored with the same deterministic scorer: the same explained answer. Used
by the CLI and the agent interface alike.
"""

from __future__ import annotations

from typing import Any

from mspcrm.domain.duplicates import (
    DEFAULT_REGION,
    DuplicateProfile,
    check_duplicates,
    company_name_key,
    normalise_phone,
    profile_for,
    record_region,
    web_domain,
)
from mspcrm.domain.entity import Entity
from mspcrm.errors import NotFoundError
from mspcrm.sdk import Client, F

CANDIDATE_LIMIT = 200


def check_record(client: Client, entity: Entity, body: dict[str, Any]) -> dict[str, Any]:
    """{"verdict", "matches": [{"id", "name", "score", "verdict", "evidence"}]}."""
    try:
        result: dict[str, Any] = client.native.duplicates_check(entity.path, body)
        return result
    except NotFoundError:
        return check_by_queries(client, entity, body)


def check_by_queries(client: Client, entity: Entity, body: dict[str, Any]) -> dict[str, Any]:
    ors = candidate_filters(entity, body)
    records: list[dict[str, Any]] = []
    if ors:
        query = [{"op": "or", "items": ors}]
        records = list(client.entity(entity.path).query(query, max_records=CANDIDATE_LIMIT))
    profile = profile_for(entity.name)
    candidate = dict(body)
    add_company_countries(client, profile, [candidate, *records])
    result = check_duplicates(candidate, records, profile.scorer, limit=10).to_dict()
    names = {r["id"]: " ".join(str(r.get(f) or "") for f in entity.title_fields) for r in records}
    for match in result["matches"]:
        match["name"] = names.get(match["id"], "")
    return {"entity": entity.name, **result}


def add_company_countries(
    client: Client, profile: DuplicateProfile, records: list[dict[str, Any]]
) -> None:
    """Give each record its company's countryID (a contact's phones are read in it), with
    one query; the same as the server's check does from its own tables."""
    field, key = profile.company_country, profile.company_country_key
    if field is None or key is None:
        return
    ids = sorted({int(r[field]) for r in records if r.get(field) is not None})
    if not ids:
        return
    found = client.companies.query(F("id").in_(ids), include_fields=["id", "countryID"])
    countries = {int(c["id"]): c.get("countryID") for c in found}
    for record in records:
        company = record.get(field)
        record[key] = None if company is None else countries.get(int(company))


def candidate_filters(entity: Entity, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Cheap filters that find every record the scorer could call a match."""
    lowered = {k.lower(): v for k, v in body.items() if isinstance(v, str) and v.strip()}
    ors: list[dict[str, Any]] = []
    if entity.name == "Company":
        key = company_name_key(lowered.get("companyname", ""))
        if key:
            ors.append({"op": "contains", "field": "companyName", "value": key.split()[0][:6]})
        domain = web_domain(lowered.get("webaddress"))
        if domain:
            ors.append({"op": "contains", "field": "webAddress", "value": domain})
    else:
        for name, field in (("emailaddress", "emailAddress"), ("lastname", "lastName")):
            if name in lowered:
                ors.append({"op": "eq", "field": field, "value": lowered[name]})
    phone = normalise_phone(lowered.get("phone"), record_region(body, DEFAULT_REGION))
    if phone:
        ors.append({"op": "contains", "field": "phone", "value": phone[-4:]})
    return ors
