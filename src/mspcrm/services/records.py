"""The generic record service: get, query, count, create, update, delete for any entity.

One code path for every entity; business rules attach through ``hooks``.
Every write runs in one transaction (``BEGIN IMMEDIATE`` on SQLite): on any
error nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.fields import Field, Maintained, utc_now
from mspcrm.domain.picklists import PicklistValue, picklist_key
from mspcrm.domain.rules import invalid_emails
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.domain.validation import (
    DefaultContext,
    WriteBody,
    apply_defaults,
    bad_picklist_values,
    missing_required,
    read_body,
)
from mspcrm.domain.wire import UDFS
from mspcrm.errors import NotFoundError, ValidationError
from mspcrm.query.ast import Group, Query
from mspcrm.query.parser import parse_query
from mspcrm.services import hooks
from mspcrm.services.context import Actor
from mspcrm.services.duplicates import reindex_record
from mspcrm.services.lookups import resolve_names
from mspcrm.store import history, hot, repository
from mspcrm.store.database import Database
from mspcrm.store.group_commit import GroupCommit


@dataclass(frozen=True)
class Page:
    """One page of a query: wire items, and the ids that bound it."""

    items: list[dict[str, Any]]
    query: Query
    has_next: bool
    has_prev: bool

    @property
    def first_id(self) -> int | None:
        return self.items[0]["id"] if self.items else None

    @property
    def last_id(self) -> int | None:
        return self.items[-1]["id"] if self.items else None


@contextmanager
def _cursor(conn: Connection) -> Iterator[Any]:
    """A DBAPI cursor in ``conn``'s transaction (for ``store.hot``'s raw reads)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    finally:
        cursor.close()


def _only(item: dict[str, Any], include: set[str]) -> dict[str, Any]:
    """A wire object limited to ``include`` and the id (IncludeFields), UDFs likewise."""
    out = {k: v for k, v in item.items() if k in include or k == "id"}
    out[UDFS] = [u for u in item[UDFS] if u["name"] in include]
    return out


class RecordService:
    """CRUD over the declarations. ``strict``: default mode; ``duplicate_checks``: CRM checks on."""

    def __init__(
        self,
        db: Database,
        registry: Registry,
        *,
        strict: bool = True,
        duplicate_checks: bool = True,
    ) -> None:
        self.db = db
        self.registry = registry
        self.strict = strict
        self.duplicate_checks = duplicate_checks
        self._udf_cache = hot.UdfDefinitionCache()
        self._picklist_cache = hot.PicklistCache()
        self._group = GroupCommit(db) if db.dialect == "sqlite" else None

    def on(self, db: Database) -> RecordService:
        """The same service (mode, checks) over another database: a dry run's snapshot."""
        return RecordService(
            db, self.registry, strict=self.strict, duplicate_checks=self.duplicate_checks
        )

    # ---- metadata -------------------------------------------------------------------
    def udf_definitions(self, conn: Connection, entity: Entity) -> list[UdfDefinition]:
        """Read in ``conn``'s transaction every time; parsed again only when they changed."""
        if not entity.has_udfs:
            return []
        with _cursor(conn) as cursor:
            return self._udf_cache.definitions(cursor, conn.dialect, entity.name)

    def udf_fields(self, conn: Connection, entity: Entity) -> dict[str, Field]:
        return {d.name: d.as_field() for d in self.udf_definitions(conn, entity)}

    def picklists(self, conn: Connection, entity: Entity) -> dict[str, list[PicklistValue]]:
        keys = {f.name: picklist_key(entity, f) for f in entity.fields if f.picklist}
        if not keys:
            return {}
        with _cursor(conn) as cursor:
            stored = self._picklist_cache.values(
                cursor, conn.dialect, tuple(sorted(set(keys.values())))
            )
        return {name: stored.get(key, []) for name, key in keys.items()}

    def picklist_options(self, entity: Entity) -> dict[str, list[PicklistValue]]:
        """``picklists`` in a read of its own (for callers without a connection: the pages)."""
        with self.db.read() as conn:
            return self.picklists(conn, entity)

    # ---- reads --------------------------------------------------------------------------
    def get(self, entity: Entity, record_id: int) -> dict[str, Any] | None:
        """One record's wire object (the hot path: see ``store.hot``)."""
        with self.db.raw_read() as cursor:
            dialect = self.db.engine.dialect
            return hot.get_wire(cursor, dialect, entity, record_id, self._udf_cache)

    def parse(self, conn: Connection, entity: Entity, document: Any) -> Query:
        return parse_query(entity, document, self.udf_fields(conn, entity), strict=self.strict)

    def query(
        self,
        entity: Entity,
        document: Any,
        *,
        after_id: int | None = None,
        before_id: int | None = None,
        page_size: int | None = None,
    ) -> Page:
        with self.db.read() as conn:
            query = self.parse(conn, entity, document)
            size = page_size or query.max_records
            rows = repository.select_page(
                conn,
                entity,
                query.where,
                limit=size + 1,
                after_id=after_id,
                before_id=before_id,
                raw=True,
            )
            udfs = self.udf_definitions(conn, entity)
        more = len(rows) > size
        rows = rows[1:] if (more and before_id is not None) else rows[:size]
        items = hot.wire_rows(entity, self.db.dialect, rows, udfs)
        if query.include is not None:
            include = {f.name for f in query.include}
            items = [_only(item, include) for item in items]
        has_next = more if before_id is None else True
        has_prev = (after_id is not None and after_id >= 0) or (before_id is not None and more)
        return Page(items=items, query=query, has_next=has_next, has_prev=has_prev)

    def count(self, entity: Entity, document: Any) -> int:
        with self.db.read() as conn:
            query = self.parse(conn, entity, document)
            return repository.count(conn, entity, query.where)

    def children(self, parent: Entity, parent_id: int, child: Entity, document: Any = None) -> Page:
        """A parent's children, e.g. a company's contacts (the child route GET)."""
        self.require_parent(parent, parent_id)
        assert child.parent is not None
        condition = {"op": "eq", "field": child.parent.field, "value": parent_id}
        doc = dict(document or {})
        doc["filter"] = [condition, *(doc.get("filter") or [])]
        return self.query(child, doc)

    def require_parent(self, parent: Entity, parent_id: int) -> None:
        with self.db.read() as conn:
            if not repository.existing_ids(conn, parent, [parent_id]):
                raise NotFoundError(
                    f"{parent.name} not found: no {parent.name} with id {parent_id}"
                )

    # ---- writes -------------------------------------------------------------------------
    def create(
        self, entity: Entity, body: Any, actor: Actor, *, parent_id: int | None = None
    ) -> int:
        return self._write(
            lambda conn: self.create_in(conn, entity, body, actor, parent_id=parent_id)
        )

    def create_in(
        self,
        conn: Connection,
        entity: Entity,
        body: Any,
        actor: Actor,
        *,
        parent_id: int | None = None,
    ) -> int:
        read = self._read(conn, entity, body)
        if read.id not in (None, 0):
            raise ValidationError(
                f"id must be empty or 0 when creating a {entity.name}; "
                f"use PATCH to update {read.id}"
            )
        values = read.values
        self._bind_parent(entity, values, parent_id)
        udf_defs = self.udf_definitions(conn, entity)
        udfs = {d.name: d.check(d.default_value) for d in udf_defs if d.default_value is not None}
        udfs.update(read.udfs)
        apply_defaults(entity, values, self.default_context(conn, entity, actor))
        ctx = hooks.WriteContext(conn, self, entity, "create", actor, None, values, None)
        hooks.run("normalise", ctx)
        self._check(conn, entity, values, partial=False)
        hooks.run("before_write", ctx)
        self.stamp(entity, values, actor, created=True)
        ctx.record_id = repository.insert(conn, entity, values, udfs)
        self._history(conn, entity, ctx.record_id, "create", actor, None, values, udfs)
        hooks.run("after_write", ctx)
        return ctx.record_id

    def update(
        self,
        entity: Entity,
        body: Any,
        actor: Actor,
        *,
        replace: bool = False,
        record_id: int | None = None,
        parent_id: int | None = None,
    ) -> int:
        return self._write(
            lambda conn: self.update_in(
                conn, entity, body, actor, replace=replace, record_id=record_id, parent_id=parent_id
            )
        )

    def update_in(
        self,
        conn: Connection,
        entity: Entity,
        body: Any,
        actor: Actor,
        *,
        replace: bool = False,
        record_id: int | None = None,
        parent_id: int | None = None,
    ) -> int:
        read = self._read(conn, entity, body)
        target = self._target_id(entity, read, record_id)
        current = repository.get(conn, entity, target)
        if current is None:
            raise NotFoundError(f"{entity.name} not found: no {entity.name} with id {target}")
        self._check_parent_match(entity, current, parent_id)
        values = read.values
        self._keep_parent(entity, values, parent_id, replace=replace)
        if replace:
            for f in entity.writable_fields:
                values.setdefault(f.name, None)
        ctx = hooks.WriteContext(conn, self, entity, "update", actor, target, values, current)
        hooks.run("normalise", ctx)
        self._check(conn, entity, values, partial=not replace)
        hooks.run("before_write", ctx)
        self.stamp(entity, values, actor, created=False)
        repository.update(
            conn,
            entity,
            target,
            values,
            read.udfs,
            current_udfs=current.get(repository.UDFS),
            replace_udfs=replace,
        )
        self._history(conn, entity, target, "update", actor, current, values, read.udfs)
        hooks.run("after_write", ctx)
        return target

    def delete(
        self, entity: Entity, record_id: int, actor: Actor, *, parent_id: int | None = None
    ) -> int:
        return self._write(
            lambda conn: self.delete_in(conn, entity, record_id, actor, parent_id=parent_id)
        )

    def delete_in(
        self,
        conn: Connection,
        entity: Entity,
        record_id: int,
        actor: Actor,
        *,
        parent_id: int | None = None,
    ) -> int:
        current = repository.get(conn, entity, record_id)
        if current is None:
            raise NotFoundError(f"{entity.name} not found: no {entity.name} with id {record_id}")
        self._check_parent_match(entity, current, parent_id)
        ctx = hooks.WriteContext(conn, self, entity, "delete", actor, record_id, {}, current)
        hooks.run("before_write", ctx)
        repository.delete(conn, entity, record_id)
        gone = dict.fromkeys((f.name for f in entity.fields), None)
        self._history(conn, entity, record_id, "delete", actor, current, gone, {})
        hooks.run("after_write", ctx)
        return record_id

    def _write(self, work: Callable[[Connection], int]) -> int:
        """One record's write: on SQLite through group commit (concurrent writes share one
        transaction and one fsync, each in its own savepoint), else its own transaction."""
        if self._group is not None:
            return self._group.run(work)
        with self.db.write() as conn:
            return work(conn)

    # ---- the steps ----------------------------------------------------------------------
    def _read(self, conn: Connection, entity: Entity, body: Any) -> WriteBody:
        checkers = {d.name: d.check for d in self.udf_definitions(conn, entity)}
        read = read_body(entity, body, checkers, strict=self.strict)
        resolve_names(conn, self.registry, entity, read)
        return read

    def _target_id(self, entity: Entity, read: WriteBody, record_id: int | None) -> int:
        if record_id is not None and read.id not in (None, record_id):
            raise ValidationError(
                f"The body's id {read.id} does not match the URL's id {record_id}"
            )
        target = record_id if record_id is not None else read.id
        if target is None:
            raise ValidationError(f"id is required to update a {entity.name}")
        return target

    def _bind_parent(self, entity: Entity, values: dict[str, Any], parent_id: int | None) -> None:
        if parent_id is None or entity.parent is None:
            return
        given = values.get(entity.parent.field)
        if given is not None and given != parent_id:
            raise ValidationError(
                f"{entity.parent.field} {given} in the body does not match the parent id "
                f"{parent_id} in the URL"
            )
        values[entity.parent.field] = parent_id

    def _keep_parent(
        self, entity: Entity, values: dict[str, Any], parent_id: int | None, *, replace: bool
    ) -> None:
        """A PUT through a child route keeps the child under the parent in the URL unless the
        body names another. A body that names another parent moves the child: Autotask has
        no other write route for contacts (root PATCH /Contacts is refused on some zones), so
        this is how every client moves one; it needs the same update right as any write and
        is recorded in the history like one."""
        if parent_id is None or entity.parent is None:
            return
        if replace and entity.parent.field not in values:
            values[entity.parent.field] = parent_id

    def _check_parent_match(
        self, entity: Entity, current: Mapping[str, Any], parent_id: int | None
    ) -> None:
        if parent_id is None or entity.parent is None:
            return
        if current.get(entity.parent.field) != parent_id:
            parent = entity.parent.entity
            raise NotFoundError(
                f"{entity.name} not found: {entity.name} {current['id']} does not belong to "
                f"{parent} {parent_id}"
            )

    def default_context(self, conn: Connection, entity: Entity, actor: Actor) -> DefaultContext:
        """What a create's defaults depend on: the acting resource, the picklist defaults
        (also used by the bulk import, so both paths default alike)."""
        defaults = {
            name: next((v.value for v in values if v.is_default and v.is_active), None)
            for name, values in self.picklists(conn, entity).items()
        }
        return DefaultContext(
            acting_resource_id=actor.resource_id,
            picklist_defaults={k: v for k, v in defaults.items() if v is not None},
        )

    def _check(
        self, conn: Connection, entity: Entity, values: dict[str, Any], *, partial: bool
    ) -> None:
        problems = missing_required(entity, values, partial=partial)
        problems += invalid_emails(values)
        allowed = {
            name: {v.value for v in vals if v.is_active}
            for name, vals in self.picklists(conn, entity).items()
            if values.get(name) is not None
        }
        problems += bad_picklist_values(entity, values, allowed)
        if problems:
            raise ValidationError(*problems)
        self._check_references(conn, entity, values)

    def _check_references(self, conn: Connection, entity: Entity, values: dict[str, Any]) -> None:
        for f in entity.fields:
            value = values.get(f.name)
            if f.reference is None or value is None:
                continue
            target = self.registry.by_name(f.reference)
            if not repository.existing_ids(conn, target, [value]):
                raise NotFoundError(f"{target.name} not found: {f.name} {value} does not exist")

    def stamp(self, entity: Entity, values: dict[str, Any], actor: Actor, *, created: bool) -> None:
        """Set the maintained fields (times, creator, impersonator) of a write on ``values``
        (also used by the bulk import)."""
        now = utc_now()
        for f in entity.fields:
            stamp_now = f.maintained is Maintained.MODIFIED_AT or (
                created and f.maintained is Maintained.CREATED_AT
            )
            if stamp_now:
                values[f.name] = now
            elif created and f.maintained is Maintained.CREATOR:
                values[f.name] = actor.resource_id
            elif created and f.maintained is Maintained.IMPERSONATOR and actor.impersonating:
                values[f.name] = actor.api_user_id

    # ---- writes a rule makes to other records ----------------------------------------------
    def related_update(
        self,
        conn: Connection,
        entity: Entity,
        equals: dict[str, Any],
        values: dict[str, Any],
        actor: Actor,
        *,
        exclude_id: int | None = None,
    ) -> list[int]:
        """A rule's change to other records (no rules re-run), kept in their history."""
        ids = repository.find_ids(conn, entity, equals, exclude_id=exclude_id, limit=1_000_000)
        for record_id in ids:
            current = repository.get(conn, entity, record_id)
            stamped = dict(values)
            self.stamp(entity, stamped, actor, created=False)
            repository.update(conn, entity, record_id, stamped)
            self._history(conn, entity, record_id, "update", actor, current, stamped, {})
            reindex_record(conn, entity, record_id)
        return ids

    def related_insert(
        self, conn: Connection, entity: Entity, values: dict[str, Any], actor: Actor
    ) -> int:
        """A record a rule creates (no rules re-run), kept in its history."""
        stamped = dict(values)
        self.stamp(entity, stamped, actor, created=True)
        new_id = repository.insert(conn, entity, stamped, {})
        self._history(conn, entity, new_id, "create", actor, None, stamped, {})
        reindex_record(conn, entity, new_id)
        return new_id

    def related_delete(
        self, conn: Connection, entity: Entity, equals: dict[str, Any], actor: Actor
    ) -> list[int]:
        """Records a rule deletes along with another, kept in their history."""
        ids = repository.find_ids(conn, entity, equals, limit=1_000_000)
        for record in repository.get_many(conn, entity, ids):
            repository.delete(conn, entity, record["id"])
            gone = dict.fromkeys((f.name for f in entity.fields), None)
            self._history(conn, entity, record["id"], "delete", actor, record, gone, {})
            reindex_record(conn, entity, record["id"])
        return ids

    def _history(
        self,
        conn: Connection,
        entity: Entity,
        record_id: int,
        op: str,
        actor: Actor,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any],
        udfs: Mapping[str, Any],
    ) -> None:
        changes = history.diff(dict(before or {}), dict(after))
        old_udfs = (before or {}).get(repository.UDFS) or {}
        for name, value in udfs.items():
            if old_udfs.get(name) != value:
                changes[f"{repository.UDFS}.{name}"] = [
                    history.json_value(old_udfs.get(name)),
                    history.json_value(value),
                ]
        if not changes and op == "update":
            return
        history.record(
            conn,
            entity=entity.name,
            record_id=record_id,
            op=op,
            changes=changes,
            resource_id=actor.resource_id,
            api_user_id=actor.api_user_id,
            channel=actor.channel,
            context=actor.context,
        )

    def record_history(self, entity: Entity, record_id: int) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return history.for_record(conn, entity.name, record_id)

    def everything(self) -> Group:
        return Group("and", ())
