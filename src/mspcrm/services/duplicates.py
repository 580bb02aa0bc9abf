"""Verify before create: scored, explained duplicate candidates, and whole-table scans.

The scorer is pure (``domain.duplicates``); this service feeds it from the
``match_keys`` index, which the write path keeps current for every Company and
Contact:

* a check reads the candidate's keys' blocks (each only up to ``MAX_BLOCK`` rows; a
  key shared by more records says nothing and is ignored), ranks the records sharing
  the most keys (identity keys count more), and scores the best ``CANDIDATES``;
* a scan reads the index a page of blocks at a time (only the keys of
  ``identity_families`` when it looks for matched pairs: every matched pair shares one),
  reads the scored fields of a batch of blocks' records at once, and scores each pair
  once (``BlockScorer``), normalising no more of a record than it needs. Every read is
  its own short transaction (a read is capped at the query timeout); memory holds one
  page and one batch, not the table.

Phone numbers are read in each record's region: its country (a contact's: its company's,
added to the record here), else the installation's default region (the
``default-region`` setting, ``mspcrm settings set default-region GB``).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.duplicates import (
    PROFILES,
    BlockScorer,
    Cluster,
    DuplicateCheck,
    DuplicateProfile,
    Match,
    Member,
    Pair,
    check_bounded,
    clusters_of,
    profile_for,
    record_id,
)
from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.validation import read_body
from mspcrm.query.ast import Group
from mspcrm.store import match_keys, repository
from mspcrm.store.database import Database
from mspcrm.store.duplicate_keys import (
    add_company_countries,
    declared_entity,
    rebuild_keys,
    regional_profile,
)

MAX_BLOCK = 500  # a key shared by more records is too common to compare them all
CANDIDATES = 200  # records a check scores
IDENTITY_WEIGHT = 4.0  # a shared identity key (domain, phone, ...) ranks above 4 name keys
FETCH_BATCH = 2000  # a scan reads the records of blocks this many ids at a time
BLOCK_PAGE = 20_000  # blocks a scan reads from the index in one statement


def reindex_record(conn: Connection, entity: Entity, record_id: int) -> None:
    """Refresh one record's blocking keys (after any write to it)."""
    if entity.name not in PROFILES:
        return
    record = repository.get(conn, entity, record_id)
    if record is None:
        match_keys.remove(conn, entity.name, record_id)
        return
    profile = regional_profile(conn, entity.name)
    add_company_countries(conn, entity, profile, [record])
    match_keys.replace(conn, entity.name, record_id, profile.blocking_keys(record))


def reindex_dependants(conn: Connection, entity: Entity, record_id: int) -> int:
    """Refresh the keys of the records whose phones are read in this record's country (a
    company's contacts, after its countryID changed); returns how many."""
    done = 0
    for profile in PROFILES.values():
        field = profile.company_country
        dependant = declared_entity(profile.entity)
        if field is None or dependant.require(field).reference != entity.name:
            continue
        for found in repository.find_ids(conn, dependant, {field: record_id}, limit=100_000):
            reindex_record(conn, dependant, found)
            done += 1
    return done


class DuplicateService:
    def __init__(self, db: Database, registry: Registry) -> None:
        self.db = db
        self.registry = registry

    def check(self, entity_name: str, candidate: Any, *, limit: int = 10) -> DuplicateCheck:
        """Rank existing records against ``candidate`` (a wire-shaped body)."""
        entity = self.registry.by_name(entity_name)
        values = read_body(entity, candidate, {}, strict=False).values
        if isinstance(candidate, dict) and candidate.get("id") is not None:
            values["id"] = candidate["id"]
        own_id = record_id(values)
        with self.db.read() as conn:
            profile = regional_profile(conn, entity.name)
            add_company_countries(conn, entity, profile, [values])
            prepared = profile.prepare(values)
            names = profile.prepare_names(values)
            weights = {
                key: IDENTITY_WEIGHT if profile.is_identity_key(key) else 1.0
                for key in profile.keys_prepared(prepared)
            }
            found, crowded = match_keys.shared_keys(
                conn, entity.name, weights, limit=CANDIDATES, max_block=MAX_BLOCK
            )
            existing = match_keys.read_fields(conn, entity, profile.fields, [i for i, _ in found])
            add_company_countries(conn, entity, profile, existing)
        # A candidate scores at most what its name and the identity keys it shares (or that
        # were too crowded to tell) add: scored best bound first, only as far as needed.
        everyone = _identity_weight(profile, crowded)
        shares = dict(found)

        def bound(record: dict[str, Any]) -> float:
            name = profile.name_weight(names, profile.prepare_names(record))
            return name + everyone + _identity_weight(profile, shares[record["id"]])

        def scorer(record: dict[str, Any]) -> Callable[[], Match]:
            return lambda: profile.score_prepared(prepared, profile.prepare(record))

        return check_bounded(
            (
                (bound(record), int(record["id"]), scorer(record))
                for record in existing
                if record["id"] != own_id
            ),
            limit=limit,
        )

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
        entity = self.registry.by_name(entity_name)
        with self.db.read() as conn:
            profile = regional_profile(conn, entity.name)
        families = _families(profile, include_ambiguous)
        found: dict[tuple[int, int], Pair] = {}
        # Short read transactions (a read is capped at the query timeout): the crowded
        # keys first, then each family's blocks a page at a time, each batch's records.
        crowded: set[str] = set()
        for family in sorted(families):
            with self.db.read() as conn:
                crowded |= match_keys.crowded(conn, entity.name, [family], MAX_BLOCK)
        with self.db.read() as conn:
            holders = match_keys.holders(
                conn, entity.name, [key for key in crowded if profile.is_identity_key(key)]
            )

        def skip_key(key: str) -> bool:
            return key in crowded or key.partition(":")[0] not in families

        scorer = BlockScorer(
            profile,
            include_ambiguous=include_ambiguous,
            skip_key=skip_key,
            stored_key=match_keys.stored_key,
            eager_ids=frozenset(holders),
        )
        seen = 0
        members: dict[int, Member] = {}
        with _fewer_collections():
            for page in self._pages(entity, sorted(families)):
                for batch in _batches(page):
                    # a record's keys of one family sort close together (addr:<street>|...):
                    # the previous batch's records are kept for the next one, no longer
                    with self.db.read() as conn:
                        members = self._members(conn, entity, profile, batch, members)
                    for key, ids in batch:
                        block = [members[i] for i in ids if i in members]
                        for pair in scorer.pairs(key, block):
                            found[(pair.left_id, pair.right_id)] = pair
                seen += len(page)
                if progress:
                    progress(seen)
        return [found[ids] for ids in sorted(found)]

    def _pages(self, entity: Entity, families: list[str]) -> Iterator[list[tuple[str, list[int]]]]:
        """Every block of these families, a page of ``BLOCK_PAGE`` keys at a time."""
        for family in families:
            after: str | None = None
            while True:
                with self.db.read() as conn:
                    page = match_keys.blocks(
                        conn, entity.name, family, MAX_BLOCK, after=after, limit=BLOCK_PAGE
                    )
                if not page:
                    break
                yield page
                after = page[-1][0]

    @staticmethod
    def _members(
        conn: Connection,
        entity: Entity,
        profile: DuplicateProfile,
        batch: list[tuple[str, list[int]]],
        previous: dict[int, Member],
    ) -> dict[int, Member]:
        """The batch's records (those of the previous batch reused, with what they hold)."""
        wanted = set(chain.from_iterable(ids for _, ids in batch))
        members = {i: previous[i] for i in wanted if i in previous}
        missing = sorted(wanted - members.keys())
        records = match_keys.read_fields(conn, entity, profile.fields, missing)
        add_company_countries(conn, entity, profile, records)
        for record in records:
            members[int(record["id"])] = Member(int(record["id"]), record)
        return members

    def reindex(self, entity_name: str) -> int:
        """Rebuild the blocking keys of every record of an entity; returns the count."""
        entity, _ = self._profile(entity_name)
        with self.db.write() as conn:
            return rebuild_keys(conn, entity)

    def ensure_indexed(self) -> None:
        """Build the keys once for a database that has records but no keys yet."""
        for name in PROFILES:
            entity = self.registry.by_name(name)
            with self.db.read() as conn:
                has_keys = match_keys.count(conn, name) > 0
                has_rows = bool(repository.select_page(conn, entity, Group("and", ()), limit=2))
            if has_rows and not has_keys:
                self.reindex(name)


_collections_lock = threading.Lock()
_collections_depth = 0
_collections_saved = gc.get_threshold()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while a scan runs.

    A scan of a million records allocates tens of millions of short-lived objects and
    keeps a batch of them alive; with the default thresholds the collector runs thousands
    of times and took a third of a 1M scan. The thresholds are process-wide: raised by the
    first running scan, restored by the last to finish (cyclic garbage is still collected,
    every 50,000 allocations instead of 700)."""
    global _collections_depth, _collections_saved
    with _collections_lock:
        if _collections_depth == 0:
            _collections_saved = gc.get_threshold()
            gc.set_threshold(50_000, 20, 10)
        _collections_depth += 1
    try:
        yield
    finally:
        with _collections_lock:
            _collections_depth -= 1
            if _collections_depth == 0:
                gc.set_threshold(*_collections_saved)


def _identity_weight(profile: DuplicateProfile, keys: Iterable[str]) -> float:
    """The most these shared keys add to a pair's names' evidence."""
    families = {key.partition(":")[0] for key in keys}
    return sum(profile.identity_weights.get(family, 0.0) for family in families)


def _families(profile: DuplicateProfile, include_ambiguous: bool) -> frozenset[str]:
    """The key families a scan reads: identity ones for matched pairs, all for ambiguous."""
    if not include_ambiguous:
        return profile.identity_families
    return profile.families


def _batches(
    blocks: Iterable[tuple[str, list[int]]],
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
