"""Verify before create: scored, explained duplicate candidates, and whole-table scans.

The scorer is pure (``domain.duplicates``); this service feeds it: the
candidate's blocking keys find a few hundred rows through the ``match_keys``
index, which the write path keeps current for every Company and Contact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.duplicates import (
    PROFILES,
    Cluster,
    DuplicateCheck,
    DuplicateProfile,
    check_duplicates,
    cluster,
    profile_for,
)
from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.validation import read_body
from mspcrm.query.ast import Group
from mspcrm.store import match_keys, repository
from mspcrm.store.database import Database

SCAN_BATCH = 5000
MAX_BLOCK = 500


def reindex_record(conn: Connection, entity: Entity, record_id: int) -> None:
    """Refresh one record's blocking keys (after any write to it)."""
    if entity.name not in PROFILES:
        return
    record = repository.get(conn, entity, record_id)
    if record is None:
        match_keys.remove(conn, entity.name, record_id)
        return
    keys = profile_for(entity.name).blocking_keys(record)
    match_keys.replace(conn, entity.name, record_id, keys)


class DuplicateService:
    def __init__(self, db: Database, registry: Registry) -> None:
        self.db = db
        self.registry = registry

    def check(self, entity_name: str, candidate: Any, *, limit: int = 10) -> DuplicateCheck:
        """Rank existing records against ``candidate`` (a wire-shaped body)."""
        entity, profile = self._profile(entity_name)
        values = read_body(entity, candidate, {}, strict=False).values
        if isinstance(candidate, dict) and candidate.get("id") is not None:
            values["id"] = candidate["id"]
        with self.db.read() as conn:
            ids = match_keys.candidates(conn, entity.name, profile.blocking_keys(values))
            existing = repository.get_many(conn, entity, ids)
        return check_duplicates(values, existing, profile.scorer, limit=limit)

    def _profile(self, entity_name: str) -> tuple[Entity, DuplicateProfile]:
        entity = self.registry.by_name(entity_name)
        return entity, profile_for(entity.name)

    def report(self, entity_name: str, candidate: Any, *, limit: int = 10) -> dict[str, Any]:
        """``check`` in its wire shape, each match named for people (the one shape everywhere)."""
        result = self.check(entity_name, candidate, limit=limit).to_dict()
        entity, _ = self._profile(entity_name)
        names = self._names(entity, [m["id"] for m in result["matches"]])
        for match in result["matches"]:
            match["name"] = names.get(match["id"], "")
        return {"entity": entity.name, **result}

    def _names(self, entity: Entity, ids: list[int]) -> dict[int, str]:
        with self.db.read() as conn:
            records = repository.get_many(conn, entity, ids)
        return {
            r["id"]: " ".join(str(r.get(f) or "") for f in entity.title_fields).strip()
            for r in records
        }

    def scan_report(self, entity_name: str, *, include_ambiguous: bool = False) -> dict[str, Any]:
        clusters = self.scan(entity_name, include_ambiguous=include_ambiguous)
        entity, _ = self._profile(entity_name)
        names = self._names(entity, [i for c in clusters for i in c.ids])
        out = []
        for found in clusters:
            body = found.to_dict()
            body["names"] = {str(i): names.get(i, "") for i in found.ids}
            out.append(body)
        return {"entity": entity.name, "clusters": out}

    def scan(
        self,
        entity_name: str,
        *,
        include_ambiguous: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> list[Cluster]:
        """Near-duplicate clusters over the whole table (blocking + scoring, not all pairs)."""
        entity, profile = self._profile(entity_name)
        records = list(self._all(entity, progress))
        return cluster(
            records,
            profile.scorer,
            profile.blocking_keys,
            include_ambiguous=include_ambiguous,
            max_block_size=MAX_BLOCK,
        )

    def _all(
        self, entity: Entity, progress: Callable[[int], None] | None
    ) -> Iterator[dict[str, Any]]:
        after: int | None = None
        seen = 0
        while True:
            with self.db.read() as conn:
                page = repository.select_page(
                    conn, entity, Group("and", ()), limit=SCAN_BATCH, after_id=after
                )
            if not page:
                return
            yield from page
            seen += len(page)
            after = page[-1]["id"]
            if progress:
                progress(seen)

    def reindex(self, entity_name: str) -> int:
        """Rebuild the blocking keys of every record of an entity; returns the count."""
        entity, profile = self._profile(entity_name)
        total = 0
        with self.db.write() as conn:
            match_keys.clear(conn, entity.name)
        for record in self._all(entity, None):
            with self.db.write() as conn:
                match_keys.replace(conn, entity.name, record["id"], profile.blocking_keys(record))
            total += 1
        return total

    def ensure_indexed(self) -> None:
        """Build the keys once for a database that has records but no keys yet."""
        for name in PROFILES:
            entity = self.registry.by_name(name)
            with self.db.read() as conn:
                has_keys = match_keys.count(conn, name) > 0
                has_rows = bool(repository.select_page(conn, entity, Group("and", ()), limit=2))
            if has_rows and not has_keys:
                self.reindex(name)
