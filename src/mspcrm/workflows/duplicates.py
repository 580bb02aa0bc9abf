"""The whole-table duplicate scan over the port: page every record, score locally.

The same pure scorer and blocking keys as the in-process scan (``domain.duplicates``);
in process, ``services/duplicates.py`` reads the blocks from its index instead of
paging the table, which is the same comparison, faster.
"""

from __future__ import annotations

from typing import Any

from mspcrm.domain.duplicates import DEFAULT_REGION, DuplicateProfile, cluster, profile_for
from mspcrm.domain.entity import Entity
from mspcrm.workflows.port import REGISTRY, Port, Record, query_in

MAX_BLOCK = 500  # a key shared by more records is too common to compare them all


def _added(profile: DuplicateProfile) -> set[str]:
    return {profile.company_country_key} if profile.company_country_key else set()


def add_company_countries(port: Port, profile: DuplicateProfile, records: list[Record]) -> None:
    """Give each record its company's ``countryID`` where the profile reads phones in the
    company's country (a contact's): one query per 500 companies."""
    field, key = profile.company_country, profile.company_country_key
    if field is None or key is None:
        return
    ids = sorted({int(r[field]) for r in records if r.get(field) is not None})
    found = query_in(port, "Companies", "id", ids, fields=("countryID",))
    countries = {int(c["id"]): c.get("countryID") for c in found}
    for record in records:
        company = record.get(field)
        record[key] = None if company is None else countries.get(int(company))


def title(entity: Entity, record: dict[str, Any]) -> str:
    """What names a record for people (``Dana Whitfield``, ``Acme Dental``)."""
    return " ".join(str(record.get(f) or "") for f in entity.title_fields).strip()


def scan_report(
    port: Port,
    entity_name: str,
    *,
    include_ambiguous: bool = False,
    region: str = DEFAULT_REGION,
) -> dict[str, Any]:
    """Near-duplicate clusters of a whole table, in the shape of the native scan; phones
    are read in each record's region (a contact's: its company's country), else
    ``region``, the installation's default."""
    entity = REGISTRY.by_name(entity_name)
    profile = profile_for(entity.name).for_region(region)
    fields = sorted({*profile.fields, *entity.title_fields} - {"id", *_added(profile)})
    records = {int(r["id"]): r for r in port.query(entity.path, [], fields=fields)}
    add_company_countries(port, profile, list(records.values()))
    found = cluster(
        records.values(),
        profile.scorer,
        profile.blocking_keys,
        include_ambiguous=include_ambiguous,
        max_block_size=MAX_BLOCK,
    )
    clusters = []
    for group in found:
        body = group.to_dict()
        body["names"] = {str(i): title(entity, records[i]) for i in group.ids}
        clusters.append(body)
    return {"entity": entity.name, "clusters": clusters}
