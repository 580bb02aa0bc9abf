"""The whole-table duplicate scan over the port: page every record, score locally.

The same pure scorer and blocking keys as the in-process scan (``domain.duplicates``);
in process, ``services/duplicates.py`` reads the blocks from its index instead of
paging the table, which is the same comparison, faster.
"""

from __future__ import annotations

from typing import Any

from mspcrm.domain.duplicates import cluster, profile_for
from mspcrm.domain.entity import Entity
from mspcrm.workflows.port import REGISTRY, Port

MAX_BLOCK = 500  # a key shared by more records is too common to compare them all


def title(entity: Entity, record: dict[str, Any]) -> str:
    """What names a record for people (``Dana Whitfield``, ``Acme Dental``)."""
    return " ".join(str(record.get(f) or "") for f in entity.title_fields).strip()


def scan_report(port: Port, entity_name: str, *, include_ambiguous: bool = False) -> dict[str, Any]:
    """Near-duplicate clusters of a whole table, in the shape of the native scan."""
    entity = REGISTRY.by_name(entity_name)
    profile = profile_for(entity.name)
    fields = sorted({*profile.fields, *entity.title_fields} - {"id"})
    records = {int(r["id"]): r for r in port.query(entity.path, [], fields=fields)}
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
