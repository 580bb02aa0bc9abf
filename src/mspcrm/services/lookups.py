"""Resolve names given in place of ids (``"country": "United States"`` -> ``countryID``).

Generic over the declarations: an entity's ``name_inputs`` name the reference
field, the referenced entity's ``lookup_fields`` say what a name may match. The rules are
``workflows/lookups.py``'s; this module asks the database inside a write's transaction.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.validation import WriteBody
from mspcrm.store import repository
from mspcrm.workflows.lookups import name_candidates, unknown_name


def resolve_names(conn: Connection, registry: Registry, entity: Entity, read: WriteBody) -> None:
    for target_name, text in list(read.names.items()):
        target_field = entity.require(target_name)
        if read.values.get(target_name) is not None:
            continue  # an explicit id wins over a name
        assert target_field.reference is not None
        referenced = registry.by_name(target_field.reference)
        found = find_by_name(conn, referenced, text)
        if found is None:
            raise unknown_name(referenced, text, target_name)
        read.values[target_name] = found


def find_by_name(conn: Connection, entity: Entity, text: str) -> int | None:
    """The id of the record whose lookup field equals ``text`` (any case), if exactly one does."""
    for candidate in name_candidates(entity, text):
        for field in entity.lookup_fields:
            ids = repository.find_ids(conn, entity, {field: candidate}, limit=2)
            if len(ids) == 1:
                return ids[0]
    return None
