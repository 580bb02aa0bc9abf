"""Verify before create: scored, explained duplicate candidates, and whole-table scans.

The scorer is pure (``domain.duplicates``); this service feeds it from the
``match_keys`` index, which the write path keeps current for every Company and
Contact:

* a check reads the candidate's keys' blocks (each only up to ``MAX_BLOCK`` rows; a
  key shared by more records says nothing and is ignored), ranks the records sharing
  the most keys (identity keys count more), and scores the best ``CANDIDATES``;
* a scan streams the index block by block (only the keys of ``identity_families``
  when it looks for matched pairs: every matched pair shares one), reads the scored
  fields of a batch of blocks' records at once, prepares each record once, and scores
  each pair once (``BlockScorer``). Memory holds one batch, not the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.duplicates import (
    PROFILES,
    BlockScorer,
    Cluster,
    DuplicateCheck,
    DuplicateProfile,
    Pair,
    Prepared,
    check_matches,
    clusters_of,
    profile_for,
    record_id,
)
from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.validation import read_body
from mspcrm.query.ast import Group
from mspcrm.store import match_keys, repository
from mspcrm.store.database import Database

MAX_BLOCK = 500  # a key shared by more records is too common to compare them all
CANDIDATES = 200  # records a check scores
IDENTITY_WEIGHT = 4.0  # a shared identity key (domain, phone, ...) ranks above 4 name keys
FETCH_BATCH = 2000  # a scan reads the records of blocks this many ids at a time


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
        own_id = record_id(values)
        prepared = profile.prepare(values)
        weights = {
            key: IDENTITY_WEIGHT if profile.is_identity_key(key) else 1.0
            for key in profile.keys_prepared(prepared)
        }
        with self.db.read() as conn:
            ids = match_keys.candidates(
                conn, entity.name, weights, limit=CANDIDATES, max_block=MAX_BLOCK
            )
            existing = match_keys.read_fields(conn, entity, profile.fields, ids)
        matches = (
            profile.score_prepared(prepared, profile.prepare(record))
            for record in existing
            if record["id"] != own_id
        )
        return check_matches(matches, limit=limit)

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
        fields = ("id", *entity.title_fields)
        with self.db.read() as conn:
            records = match_keys.read_fields(conn, entity, fields, ids)
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
        return clusters_of(
            self.scan_pairs(entity_name, include_ambiguous=include_ambiguous, progress=progress)
        )

    def scan_pairs(
        self,
        entity_name: str,
        *,
        include_ambiguous: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> list[Pair]:
        """Every pair sharing a key of a block of 2..``MAX_BLOCK`` records and scoring
        matched (or ambiguous), ordered by (left id, right id); ``progress`` gets the
        number of blocks read so far."""
        entity, profile = self._profile(entity_name)
        families = _families(profile, include_ambiguous)
        found: dict[tuple[int, int], Pair] = {}
        with self.db.read() as conn:
            skipped = match_keys.crowded(conn, entity.name, families, MAX_BLOCK)

            def skip_key(key: str) -> bool:
                return key in skipped or key.partition(":")[0] not in families

            scorer = BlockScorer(profile, include_ambiguous=include_ambiguous, skip_key=skip_key)
            seen = 0
            for batch in _batches(match_keys.blocks(conn, entity.name, families, MAX_BLOCK)):
                prepared = self._prepared(conn, entity, profile, batch)
                for key, ids in batch:
                    members = [prepared[i] for i in ids if i in prepared]
                    for pair in scorer.pairs(key, members):
                        found[(pair.left_id, pair.right_id)] = pair
                seen += len(batch)
                if progress:
                    progress(seen)
        return [found[ids] for ids in sorted(found)]

    @staticmethod
    def _prepared(
        conn: Connection,
        entity: Entity,
        profile: DuplicateProfile,
        batch: list[tuple[str, list[int]]],
    ) -> dict[int, Prepared]:
        ids = sorted(set(chain.from_iterable(ids for _, ids in batch)))
        prepared = {}
        for record in match_keys.read_fields(conn, entity, profile.fields, ids):
            features = profile.prepare(record)
            keys = frozenset(match_keys.stored_key(k) for k in profile.keys_prepared(features))
            prepared[int(record["id"])] = Prepared(int(record["id"]), features, keys)
        return prepared

    def reindex(self, entity_name: str) -> int:
        """Rebuild the blocking keys of every record of an entity; returns the count."""
        entity, profile = self._profile(entity_name)
        with self.db.write() as conn:
            return match_keys.rebuild(conn, entity, profile.fields, profile.blocking_keys)

    def ensure_indexed(self) -> None:
        """Build the keys once for a database that has records but no keys yet."""
        for name in PROFILES:
            entity = self.registry.by_name(name)
            with self.db.read() as conn:
                has_keys = match_keys.count(conn, name) > 0
                has_rows = bool(repository.select_page(conn, entity, Group("and", ()), limit=2))
            if has_rows and not has_keys:
                self.reindex(name)


def _families(profile: DuplicateProfile, include_ambiguous: bool) -> frozenset[str]:
    """The key families a scan reads: identity ones for matched pairs, all for ambiguous."""
    if not include_ambiguous:
        return profile.identity_families
    return profile.families


def _batches(
    blocks: Iterator[tuple[str, list[int]]],
) -> Iterator[list[tuple[str, list[int]]]]:
    """Blocks grouped so that each group's records are about ``FETCH_BATCH`` ids."""
    batch: list[tuple[str, list[int]]] = []
    size = 0
    for block in blocks:
        batch.append(block)
        size += len(block[1])
        if size >= FETCH_BATCH:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
