"""Duplicate checks for the CLI: the server's scored answer, or the same scorer run here.

Against an mspcrm server the check is one call to ``/api/v1``; a real Autotask
tenant has no such route, so the candidates are fetched with ordinary queries
and scored with the same deterministic scorer: the same explained answer.
"""

from __future__ import annotations

from typing import Any

from mspcrm.cli.common import console, print_table
from mspcrm.domain.duplicates import (
    check_duplicates,
    company_name_key,
    normalise_phone,
    profile_for,
    web_domain,
)
from mspcrm.domain.entity import Entity
from mspcrm.errors import NotFoundError
from mspcrm.targets import Target

CANDIDATE_LIMIT = 200


def check_before_create(target: Target, entity: Entity, body: dict[str, Any]) -> dict[str, Any]:
    try:
        result: dict[str, Any] = target.client.native.duplicates_check(entity.path, body)
        return result
    except NotFoundError:
        return check_by_queries(target, entity, body)


def check_by_queries(target: Target, entity: Entity, body: dict[str, Any]) -> dict[str, Any]:
    ors = _candidate_filters(entity, body)
    records: list[dict[str, Any]] = []
    if ors:
        query = [{"op": "or", "items": ors}]
        records = list(target.client.entity(entity.path).query(query, max_records=CANDIDATE_LIMIT))
    result = check_duplicates(body, records, profile_for(entity.name).scorer, limit=10).to_dict()
    names = {r["id"]: " ".join(str(r.get(f) or "") for f in entity.title_fields) for r in records}
    for match in result["matches"]:
        match["name"] = names.get(match["id"], "")
    return {"entity": entity.name, **result}


def _candidate_filters(entity: Entity, body: dict[str, Any]) -> list[dict[str, Any]]:
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
        for name in ("emailaddress", "lastname"):
            if name in lowered:
                field = "emailAddress" if name == "emailaddress" else "lastName"
                ors.append({"op": "eq", "field": field, "value": lowered[name]})
    phone = normalise_phone(lowered.get("phone"))
    if phone:
        ors.append({"op": "contains", "field": "phone", "value": phone[-4:]})
    return ors


def print_check(check: dict[str, Any]) -> None:
    console.print(f"Verdict: [bold]{check['verdict']}[/bold]")
    rows = [
        {
            "id": m["id"],
            "name": m.get("name", ""),
            "score": m["score"],
            "verdict": m["verdict"],
            "evidence": "; ".join(
                f"{e['signal']} ({e['detail']})" if e.get("detail") else e["signal"]
                for e in m["evidence"]
            ),
        }
        for m in check["matches"]
    ]
    if rows:
        print_table(rows, ["id", "name", "score", "verdict", "evidence"], title="Candidates")
