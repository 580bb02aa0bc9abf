"""Bulk import: plain creates written set-wise, every other row through the one write path.

A batch is handled in three steps, all in the batch's transaction:

1. **Read.** Every row is read with the import's reader (``RowMapper.read_fast``: the
   write path's coercions, picklist labels and names, each column's reading worked
   out once per import).
2. **Look up, once per batch.** The batch's natural keys (one query per key shape
   and 500 keys), the stored records they name, and every reference a create
   gives (one query per referenced entity). A new record's values are completed
   as ``RecordService.create_in`` does (UDF and field defaults, the entity's
   ``normalise`` rules) and checked (required fields, e-mails, active picklist
   values, references).
3. **Walk the rows in file order.** A row that creates a record and passed every
   check joins the *pending* set; a row whose key finds a stored record that it
   would not change is ``unchanged`` (or ``skipped``) at once. Every other row --
   an update, an error, an ``id`` column, a key already written in this batch, a
   field whose rule needs the database row by row (``slow_fields``: a parent company,
   a primary contact, a contact's site) -- first flushes the pending set, then goes
   through ``RecordService`` as before, so its result and its messages are the write
   path's own.

A flush writes the pending creates set-wise: ids allocated up front, the records,
the records the entity's ``after_write`` rules create (a company's primary
location: the rule itself runs, its ``related_insert`` collected), one history
entry per record (as the write path writes them) and the duplicate-check keys,
each table with multi-row INSERTs (SQLite) or one COPY (PostgreSQL). If the
database refuses a flush, its rows go through the write path one by one.

Companies, contacts and opportunities take this path: an entity does only while every
rule registered for it is one ``BULK_RULES`` names (``bulk_rules`` checks them by name),
so a rule added later sends the entity's rows down the write path until it is taught
here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.duplicates import PROFILES, profile_for
from mspcrm.domain.entity import Entity, snake
from mspcrm.domain.fields import utc_now
from mspcrm.domain.rules import invalid_emails
from mspcrm.domain.validation import (
    WriteBody,
    apply_defaults,
    bad_picklist_values,
    is_blank,
)
from mspcrm.errors import MspcrmError
from mspcrm.services import hooks
from mspcrm.services.context import Actor
from mspcrm.services.import_rows import (
    CREATE,
    SKIPPED,
    UNCHANGED,
    UPDATE,
    MappedRow,
    NaturalKey,
    RowMapper,
    RowResult,
    cell_problem,
)
from mspcrm.services.records import RecordService
from mspcrm.services.webhooks.outbox import Change, record_events
from mspcrm.store import bulk, history, repository
from mspcrm.store.compile import udf_storage_value
from mspcrm.store.match_keys import MAX_KEY_LENGTH
from mspcrm.store.schema import UDF_COLUMN, entity_history, entity_table, match_keys

UDFS = repository.UDFS
SlowPath = Callable[[int, list[str]], RowResult]
Key = tuple[tuple[str, ...], tuple[Any, ...]]  # a natural key's fields and compared values


@dataclass(frozen=True)
class BulkRules:
    """How the bulk path keeps each write rule of an entity (rules named as registered)."""

    normalise: frozenset[str] = frozenset()  # need no database: run as they are, per row
    before_write: frozenset[str] = frozenset()  # kept set-wise, or by ``slow_fields``
    after_write: frozenset[str] = frozenset()  # run as they are, their related inserts collected
    match_keys: frozenset[str] = frozenset()  # the duplicate-check keys: written set-wise
    slow_fields: frozenset[str] = frozenset()  # a row setting one goes through the write path
    related: frozenset[str] = frozenset()  # entities the after_write rules create
    lock: str | None = None  # the write path's lock around its duplicate check


BULK_RULES: dict[str, BulkRules] = {
    "Company": BulkRules(
        normalise=frozenset({"tidy_company_name"}),
        # no_duplicate_name: the natural key (companyName, compared as the rule compares it)
        # finds every clash before a create; no_cycle: rows naming a parent go one by one
        # msp_company_protected: updates only (the write path runs it), a create is never 0
        before_write=frozenset({"no_duplicate_name", "no_cycle", "msp_company_protected"}),
        after_write=frozenset(
            {"primary_location_from_address", "address_follows_to_primary_location"}
        ),
        match_keys=frozenset({"refresh_match_keys"}),
        slow_fields=frozenset({"parentCompanyID"}),
        related=frozenset({"CompanyLocation"}),
        lock="Company.companyName",
    ),
    "Contact": BulkRules(
        normalise=frozenset({"tidy_email", "inactive_is_not_primary"}),
        # one_email_per_company: a row with an e-mail is matched by (company, e-mail), which
        # finds every clash; location_of_same_company: rows naming a site go one by one;
        # roles_go_with_the_contact: deletes only
        before_write=frozenset(
            {"one_email_per_company", "location_of_same_company", "roles_go_with_the_contact"}
        ),
        # one_primary_contact changes other contacts: primary contacts go one by one;
        # roles_follow_the_contact: updates only
        after_write=frozenset({"one_primary_contact", "roles_follow_the_contact"}),
        match_keys=frozenset({"refresh_match_keys"}),
        slow_fields=frozenset({"companyLocationID", "primaryContact"}),
        lock="Contact.emailAddress",
    ),
    "Opportunity": BulkRules(),
}


def _registered(entity: Entity, point: str) -> set[str]:
    return {fn.__name__ for fn in hooks.registered(entity.name, point)}


def bulk_rules(entity: Entity) -> BulkRules | None:
    """The entity's bulk rules, if every rule registered for it is one of them."""
    rules = BULK_RULES.get(entity.name)
    if rules is None:
        return None
    known = {
        "normalise": rules.normalise,
        "before_write": rules.before_write,
        "after_write": rules.after_write | rules.match_keys,
    }
    if any(not _registered(entity, point) <= names for point, names in known.items()):
        return None
    if (entity.name in PROFILES) != bool(rules.match_keys):
        return None
    return rules


class RelatedInserts(RecordService):
    """The service an ``after_write`` rule sees during a flush: inserts are collected."""

    def __init__(self, base: RecordService) -> None:
        super().__init__(
            base.db, base.registry, strict=base.strict, duplicate_checks=base.duplicate_checks
        )
        self.collected: list[tuple[Entity, dict[str, Any]]] = []

    def related_insert(
        self, conn: Connection, entity: Entity, values: dict[str, Any], actor: Actor
    ) -> int:
        self.collected.append((entity, dict(values)))
        return 0

    def related_update(self, *args: Any, **kwargs: Any) -> list[int]:
        raise AssertionError("a rule updated other records during a bulk create")

    def related_delete(self, *args: Any, **kwargs: Any) -> list[int]:
        raise AssertionError("a rule deleted records during a bulk create")

    def stamps(self, entity: Entity, actor: Actor) -> dict[str, Any]:
        """The values ``stamp`` sets on a create of ``entity`` now (the same for a flush)."""
        out: dict[str, Any] = {}
        self.stamp(entity, out, actor, created=True)
        return out


@dataclass
class Row:
    """One row of a batch as the bulk path sees it."""

    index: int
    number: int
    cells: list[str]
    read: WriteBody | None = None  # None: the row goes through the write path
    key: NaturalKey | None = None
    values: dict[str, Any] | None = None  # a create's checked values (None: not a plain create)
    udfs: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchState:
    ids: dict[Key, list[int]]  # natural key -> stored ids (before this batch wrote anything)
    current: dict[int, dict[str, Any]]  # those stored records
    written: set[Key] = field(default_factory=set)  # keys this batch has written
    touched: set[int] = field(default_factory=set)  # ids the write path wrote in this batch


@dataclass
class NewRecord:
    entity: Entity
    values: dict[str, Any]
    udfs: dict[str, Any]
    id: int = 0


def _key(key: NaturalKey) -> Key:
    return key.fields, key.lookup


class BulkImport:
    """One import's bulk path: see the module's docstring."""

    def __init__(
        self,
        records: RecordService,
        entity: Entity,
        rules: BulkRules,
        actor: Actor,
        mapper: RowMapper,
        *,
        update_existing: bool,
        width: int,
    ) -> None:
        self.records = records
        self.related = RelatedInserts(records)
        self.entity = entity
        self.rules = rules
        self.actor = actor
        self.mapper = mapper
        self.update_existing = update_existing
        self.width = width
        self.slow_columns = self._slow_columns(mapper)
        self.after_write = [
            fn
            for fn in hooks.registered(entity.name, "after_write")
            if fn.__name__ in rules.after_write
        ]
        self.references = [(f.name, f.reference) for f in entity.fields if f.reference]
        self.required = [f.name for f in entity.writable_fields if f.required]
        self.udf_defaults: dict[str, Any] | None = None
        self.allowed: dict[str, set[int]] = {}
        self.statistics: bulk.Statistics

    def _slow_columns(self, mapper: RowMapper) -> list[int]:
        """Columns whose filled cell sends a row through the write path: names of records
        this import itself may write (read when the row's turn comes, as the write path
        reads them)."""
        written = {self.entity.name, *self.rules.related}
        return [
            column.index
            for column in mapper.columns
            if column.kind == "name" and self.entity.require(column.target).reference in written
        ]

    def prepare(self, conn: Connection) -> None:
        """Read the catalog once: UDF defaults and the active picklist values."""
        try:
            defs = self.records.udf_definitions(conn, self.entity)
            self.udf_defaults = {
                d.name: d.check(d.default_value) for d in defs if d.default_value is not None
            }
        except MspcrmError:
            self.udf_defaults = None  # a bad default: every create reports it, one by one
        self.allowed = {
            name: {v.value for v in values if v.is_active}
            for name, values in self.records.picklists(conn, self.entity).items()
        }
        self.statistics = bulk.Statistics(conn, entity_table(self.entity))

    # ---- a batch --------------------------------------------------------------------------
    def rows(
        self, conn: Connection, batch: Sequence[tuple[int, list[str]]], slow: SlowPath
    ) -> list[RowResult]:
        results: list[RowResult | None] = [None] * len(batch)
        rows: list[Row] = []
        for index, (number, cells) in enumerate(batch):
            rejected = cell_problem(number, cells, self.width)
            if rejected is not None:
                results[index] = rejected
            else:
                rows.append(self._read(conn, index, number, cells))
        if self.rules.lock is not None:
            self.records.db.lock(conn, self.rules.lock)
        self.statistics.refresh(conn, 0)
        state = self._look_up(conn, rows)
        self._complete_creates(conn, rows, state)
        pending: list[Row] = []
        for row in rows:
            decided = self._decide(row, state)
            if decided is CREATE:
                pending.append(row)
                assert row.key is not None
                state.written.add(_key(row.key))
            elif isinstance(decided, RowResult):
                results[row.index] = decided
            else:
                self._flush(conn, pending, results, slow, state)
                pending = []
                results[row.index] = self._slow(conn, row, slow, state)
        self._flush(conn, pending, results, slow, state)
        done = [r for r in results if r is not None]
        assert len(done) == len(batch)
        return done

    def _read(self, conn: Connection, index: int, number: int, cells: list[str]) -> Row:
        row = Row(index, number, cells)
        if any(cells[i].strip() for i in self.slow_columns):
            return row
        try:
            read = self.mapper.read_fast(conn, cells)
        except MspcrmError:
            return row  # the write path reports it, with the same messages
        if any(read.values.get(name) not in (None, False) for name in self.rules.slow_fields):
            return row  # its rule needs the database row by row
        if read.id in (None, 0):
            keys = self.mapper.natural_keys(read.values)
            if keys:
                row.read, row.key = read, keys[0]
        return row

    def _look_up(self, conn: Connection, rows: list[Row]) -> BatchState:
        by_shape: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for row in rows:
            if row.key is not None:
                by_shape.setdefault(row.key.fields, []).append(row.key.lookup)
        ids: dict[Key, list[int]] = {}
        for fields, lookups in by_shape.items():
            found = bulk.ids_by_key(conn, self.entity, fields, lookups)
            ids.update({(fields, lookup): found_ids for lookup, found_ids in found.items()})
        current: dict[int, dict[str, Any]] = {}
        if self.update_existing:  # what a matched row would change (else it is skipped)
            single = [found[0] for found in ids.values() if len(found) == 1]
            for start in range(0, len(single), bulk.KEY_CHUNK):
                chunk = single[start : start + bulk.KEY_CHUNK]
                current.update((r["id"], r) for r in repository.get_many(conn, self.entity, chunk))
        return BatchState(ids, current)

    def _complete_creates(self, conn: Connection, rows: list[Row], state: BatchState) -> None:
        """A new record's values as ``create_in`` completes and checks them."""
        if self.udf_defaults is None:
            return
        context = self.records.default_context(conn, self.entity, self.actor)
        defaults: dict[str, Any] = {}  # every default, worked out once for the batch
        apply_defaults(self.entity, defaults, replace(context, now=utc_now()))
        candidates = []
        for row in rows:
            if row.read is None or row.key is None or state.ids.get(_key(row.key)):
                continue
            values = self._create_values(conn, row.read, defaults)
            if values is not None:
                row.values = values
                row.udfs = {**self.udf_defaults, **row.read.udfs}
                candidates.append(row)
        self._check_references(conn, candidates)

    def _create_values(
        self, conn: Connection, read: WriteBody, defaults: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        values = dict(read.values)
        for name, value in defaults.items():  # as apply_defaults fills them
            if values.get(name) is None:
                values[name] = value
        ctx = hooks.WriteContext(
            conn, self.records, self.entity, "create", self.actor, None, values, None
        )
        hooks.run("normalise", ctx)
        if any(is_blank(values.get(name)) for name in self.required):
            return None  # missing_required would report it
        problems = invalid_emails(values)
        problems += bad_picklist_values(self.entity, values, self.allowed)
        return None if problems else values

    def _check_references(self, conn: Connection, rows: list[Row]) -> None:
        """Every reference a create gives must exist (one query per referenced entity);
        a row naming a missing one goes through the write path, which says which."""
        wanted: dict[str, set[int]] = {}
        for row in rows:
            assert row.values is not None
            for name, target in self.references:
                value = row.values.get(name)
                if value is not None:
                    wanted.setdefault(target, set()).add(value)
        registry = self.records.registry
        missing = {
            target: ids - repository.existing_ids(conn, registry.by_name(target), ids)
            for target, ids in wanted.items()
        }
        if not any(missing.values()):
            return
        for row in rows:
            assert row.values is not None
            values = row.values
            if any(values.get(n) in missing[t] for n, t in self.references if t in missing):
                row.values = None

    def _decide(self, row: Row, state: BatchState) -> RowResult | str | None:
        """``CREATE`` (pending), a result needing no write, or None (the write path)."""
        if row.read is None or row.key is None:
            return None
        key = _key(row.key)
        if key in state.written:
            return None
        found = state.ids.get(key, [])
        if not found:
            return CREATE if row.values is not None else None
        if len(found) > 1 or found[0] in state.touched:
            return None
        if not self.update_existing:
            return RowResult(row.number, SKIPPED, found[0], row.key.text)
        current = state.current.get(found[0])
        if current is None:  # gone since the look-up (deleted by another writer)
            return None
        mapped = MappedRow(row.read, found[0], row.key.text)
        self.mapper.compare(mapped, current)
        if mapped.changes or mapped.udf_changes:
            return None
        return RowResult(row.number, UNCHANGED, found[0], row.key.text)

    def _slow(self, conn: Connection, row: Row, slow: SlowPath, state: BatchState) -> RowResult:
        """A row through the write path; what it wrote is remembered for the rows after it."""
        result = slow(row.number, row.cells)
        if result.status in (CREATE, UPDATE) and result.id is not None:
            state.touched.add(result.id)
            stored = repository.get(conn, self.entity, result.id)
            for key in self.mapper.natural_keys(stored or {}):
                state.written.add(_key(key))
        return result

    # ---- a flush: the pending creates, set-wise ----------------------------------------
    def _flush(
        self,
        conn: Connection,
        pending: list[Row],
        results: list[RowResult | None],
        slow: SlowPath,
        state: BatchState,
    ) -> None:
        if not pending:
            return
        try:
            with conn.begin_nested():
                ids = self._write(conn, pending)
        except bulk.BulkWriteError:
            for row in pending:  # the write path says which row the database refused
                results[row.index] = self._slow(conn, row, slow, state)
            return
        for row, new_id in zip(pending, ids, strict=True):
            assert row.key is not None
            results[row.index] = RowResult(row.number, CREATE, new_id, row.key.text)
        self.statistics.added += len(ids)

    def _write(self, conn: Connection, pending: list[Row]) -> list[int]:
        now = utc_now()
        stamps = {self.entity: self.related.stamps(self.entity, self.actor)}
        main = []
        for row in pending:
            assert row.values is not None
            row.values.update(stamps[self.entity])
            main.append(NewRecord(self.entity, row.values, row.udfs))
        _assign_ids(conn, main)
        related = [self._after_write(conn, record, stamps) for record in main]
        everything = [*main, *(r for group in related for r in group)]
        _assign_ids(conn, [r for group in related for r in group])
        for entity, group in _by_entity(everything).items():
            _insert_records(conn, entity, group)
        ordered = [r for record, group in zip(main, related, strict=True) for r in (record, *group)]
        self._insert_history(conn, ordered, now)
        _insert_match_keys(conn, everything)
        return [record.id for record in main]

    def _after_write(
        self, conn: Connection, record: NewRecord, stamps: dict[Entity, dict[str, Any]]
    ) -> list[NewRecord]:
        """Run the entity's after_write rules on a new record; the records they insert."""
        self.related.collected = []
        ctx = hooks.WriteContext(
            conn, self.related, self.entity, "create", self.actor, record.id, record.values, None
        )
        for rule in self.after_write:
            rule(ctx)
        return [
            NewRecord(entity, {**values, **self._stamps(stamps, entity)}, {})
            for entity, values in self.related.collected
        ]

    def _stamps(self, known: dict[Entity, dict[str, Any]], entity: Entity) -> dict[str, Any]:
        if entity not in known:
            known[entity] = self.related.stamps(entity, self.actor)
        return known[entity]

    def _insert_history(self, conn: Connection, records: list[NewRecord], now: Any) -> None:
        actor = self.actor
        columns = (
            "entity", "record_id", "op", "at", "resource_id", "api_user_id", "channel",
            "context", "changes",
        )  # fmt: skip
        moments: dict[datetime, str] = {}
        rows = [
            (
                r.entity.name, r.id, "create", now, actor.resource_id, actor.api_user_id,
                actor.channel, actor.context, _created_changes(r.values, r.udfs, moments),
            )
            for r in records
        ]  # fmt: skip
        bulk.insert_rows(conn, entity_history, columns, rows)
        record_events(conn, [Change(r[0], r[1], "create", r[8], actor.resource_id) for r in rows])


def _created_changes(
    values: Mapping[str, Any], udfs: Mapping[str, Any], moments: dict[datetime, str]
) -> history.Changes:
    """A create's history entry, as ``RecordService._history`` writes it (``history.diff``
    from nothing: every value given, as JSON); ``moments`` remembers datetimes' JSON."""
    changes: history.Changes = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            text = moments.get(value)
            if text is None:
                text = moments[value] = history.json_value(value)
            changes[name] = [None, text]
        else:
            changes[name] = [None, history.json_value(value) if isinstance(value, dict) else value]
    for name, value in udfs.items():
        if value is not None:
            changes[f"{UDFS}.{name}"] = [None, history.json_value(value)]
    return changes


def _by_entity(records: list[NewRecord]) -> dict[Entity, list[NewRecord]]:
    groups: dict[Entity, list[NewRecord]] = {}
    for record in records:
        groups.setdefault(record.entity, []).append(record)
    return groups


def _assign_ids(conn: Connection, records: list[NewRecord]) -> None:
    for entity, group in _by_entity(records).items():
        ids = bulk.allocate_ids(conn, entity_table(entity), len(group))
        for record, new_id in zip(group, ids, strict=True):
            record.id = new_id


def _insert_records(conn: Connection, entity: Entity, records: list[NewRecord]) -> None:
    """The records' rows: the fields any of them gives (the rest stay NULL), UDFs as stored."""
    given: set[str] = set()
    for record in records:
        given.update(record.values)
    names = [f.name for f in entity.fields if f.name in given and f.name != "id"]
    assert given <= {*names, "id"}, f"not fields of {entity.name}: {given - set(names)}"
    columns = ["id", *(snake(n) for n in names)]
    if entity.has_udfs:
        columns.append(UDF_COLUMN)
    rows = []
    for record in records:
        get = record.values.get
        row: list[Any] = [record.id, *(get(n) for n in names)]
        if entity.has_udfs:
            row.append({k: udf_storage_value(v) for k, v in record.udfs.items()})
        rows.append(row)
    bulk.insert_rows(conn, entity_table(entity), columns, rows)


def _insert_match_keys(conn: Connection, records: list[NewRecord]) -> None:
    """The duplicate-check keys of new records, as ``reindex_record`` computes them from the
    stored record (every field, absent ones null); sent in key order (the index's)."""
    rows: list[tuple[str, str, int]] = []
    blank: dict[Entity, dict[str, Any]] = {}
    for record in records:
        entity = record.entity
        if entity.name not in PROFILES:
            continue
        if entity not in blank:
            blank[entity] = dict.fromkeys(f.name for f in entity.fields)
        stored = blank[entity].copy()
        stored.update(record.values)
        stored["id"] = record.id
        if entity.has_udfs:
            stored[UDFS] = {k: udf_storage_value(v) for k, v in record.udfs.items()}
        keys = {k[:MAX_KEY_LENGTH] for k in profile_for(entity.name).blocking_keys(stored)}
        rows.extend((entity.name, k, record.id) for k in keys)
    rows.sort()
    bulk.insert_rows(conn, match_keys, ("entity", "key", "record_id"), rows)
