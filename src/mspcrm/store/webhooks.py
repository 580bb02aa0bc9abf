"""Webhook storage: subscriptions as the write path reads them, the outbox of callouts,
the per-webhook state (secret, sequence counter, delivery lease) and the event feed.

Every function runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect

from mspcrm.domain.entities.webhooks import WebhookFamily, field_picklist
from mspcrm.domain.entity import Entity
from mspcrm.store import bulk, catalog, hot
from mspcrm.store.schema import entity_table, event_feed, udf_definitions
from mspcrm.store.schema import picklist_values as pv
from mspcrm.store.schema import webhook_deliveries as wd
from mspcrm.store.schema import webhook_state as ws

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
DELIVERY_COLUMNS = (
    "webhook_entity", "webhook_id", "action", "guid", "url", "entity_type", "record_id", "fields",
    "person_id", "event_time", "status", "attempts", "next_attempt_at",
)  # fmt: skip
FEED_COLUMNS = ("action", "entity_type", "record_id", "fields", "person_id", "event_time")


@dataclass(frozen=True)
class Subscription:
    """What one active, ready webhook wants to hear about."""

    webhook_id: int
    guid: str
    on_create: bool
    on_update: bool
    on_delete: bool
    fields: dict[str, tuple[bool, bool]]  # field or UDF name -> (subscribed, display always)
    excluded: frozenset[int]

    def wants(self, op: str) -> bool:
        return {"create": self.on_create, "update": self.on_update, "delete": self.on_delete}[op]

    @property
    def subscribed(self) -> set[str]:
        return {name for name, (sub, _) in self.fields.items() if sub}

    @property
    def display_always(self) -> set[str]:
        return {name for name, (_, always) in self.fields.items() if always}


# ---- subscriptions -------------------------------------------------------------------------
@lru_cache(maxsize=32)
def _active_statement(webhook: Entity) -> sa.Select[Any]:
    """Built once per entity: it runs with every write of the entity the webhooks watch."""
    table = entity_table(webhook)
    return (
        sa.select(
            table.c.id,
            table.c.webhook_guid,
            table.c.is_subscribed_to_create_events,
            table.c.is_subscribed_to_update_events,
            table.c.is_subscribed_to_delete_events,
        )
        .where(table.c.is_active.is_(True), table.c.is_ready.is_(True))
        .order_by(table.c.id)
    )


@lru_cache(maxsize=64)
def _active_prepared(webhook: Entity, dialect: Dialect) -> hot.Prepared:
    return hot.prepare(_active_statement(webhook), dialect)


def active_webhooks(conn: Connection, webhook: Entity) -> list[Any]:
    """Run on the DBAPI cursor (statement compiled once): this runs with every write of
    a watched entity, and SQLAlchemy's execution costs more than SQLite's own work."""
    prepared = _active_prepared(webhook, conn.dialect)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(prepared.sql, prepared.args({}))
        return [ActiveWebhook(*row) for row in cursor.fetchall()]
    finally:
        cursor.close()


@dataclass(frozen=True)
class ActiveWebhook:
    id: int
    webhook_guid: str | None
    is_subscribed_to_create_events: Any
    is_subscribed_to_update_events: Any
    is_subscribed_to_delete_events: Any


def subscriptions(
    conn: Connection, family: WebhookFamily, field_names: dict[int, str]
) -> list[Subscription]:
    """The active, ready webhooks of ``family`` with their fields (``field_names``: webhook
    field id -> field name) and excluded resources."""
    hooks = active_webhooks(conn, family.webhook)
    if not hooks:
        return []
    ids = [row.id for row in hooks]
    fields = _field_rows(conn, family, ids, field_names)
    excluded = _excluded(conn, family.excluded, ids)
    return [
        Subscription(
            webhook_id=row.id,
            guid=row.webhook_guid or "",
            on_create=bool(row.is_subscribed_to_create_events),
            on_update=bool(row.is_subscribed_to_update_events),
            on_delete=bool(row.is_subscribed_to_delete_events),
            fields=fields.get(row.id, {}),
            excluded=frozenset(excluded.get(row.id, ())),
        )
        for row in hooks
    ]


def _field_rows(
    conn: Connection, family: WebhookFamily, ids: list[int], names: dict[int, str]
) -> dict[int, dict[str, tuple[bool, bool]]]:
    found: dict[int, dict[str, tuple[bool, bool]]] = {}
    table = entity_table(family.fields)
    rows = conn.execute(
        sa.select(
            table.c.webhook_id, table.c.field_id, table.c.is_subscribed_field,
            table.c.is_display_always_field,
        ).where(table.c.webhook_id.in_(ids))
    )  # fmt: skip
    for hook, field_id, subscribed, always in rows:
        if field_id in names:
            found.setdefault(hook, {})[names[field_id]] = (bool(subscribed), bool(always))
    if family.udf_fields is None:
        return found
    udfs = entity_table(family.udf_fields)
    rows = conn.execute(
        sa.select(
            udfs.c.webhook_id, udf_definitions.c.name, udfs.c.is_subscribed_field,
            udfs.c.is_display_always_field,
        )
        .join(udf_definitions, udf_definitions.c.id == udfs.c.udf_field_id)
        .where(udfs.c.webhook_id.in_(ids))
    )  # fmt: skip
    for hook, name, subscribed, always in rows:
        found.setdefault(hook, {})[f"userDefinedFields.{name}"] = (bool(subscribed), bool(always))
    return found


def _excluded(conn: Connection, excluded: Entity, ids: list[int]) -> dict[int, list[int]]:
    table = entity_table(excluded)
    rows = conn.execute(
        sa.select(table.c.webhook_id, table.c.resource_id).where(table.c.webhook_id.in_(ids))
    )
    found: dict[int, list[int]] = {}
    for hook, resource in rows:
        found.setdefault(hook, []).append(resource)
    return found


def udf_id_exists(conn: Connection, entity: str, udf_id: int) -> bool:
    ud = udf_definitions
    statement = sa.select(ud.c.id).where(ud.c.id == udf_id, ud.c.entity == entity)
    return conn.execute(statement).first() is not None


def subscribed_count(conn: Connection, family: WebhookFamily, webhook_id: int) -> int:
    total = 0
    for child in family.subscriptions:
        table = entity_table(child)
        statement = sa.select(sa.func.count()).where(
            table.c.webhook_id == webhook_id, table.c.is_subscribed_field.is_(True)
        )
        total += int(conn.execute(statement).scalar_one())
    return total


# ---- the outbox and the feed ---------------------------------------------------------------
SET_WISE = 50  # rows from which one multi-row INSERT (or COPY) beats a cached statement
_INSERT_DELIVERY = sa.insert(wd)
_INSERT_FEED = sa.insert(event_feed)


@lru_cache(maxsize=8)
def _sqlite_insert(dialect: Dialect, table: sa.Table, columns: tuple[str, ...]) -> bulk.BulkInsert:
    return bulk.BulkInsert(dialect, table, columns)


def _insert(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    if conn.dialect.name == "sqlite" and rows:  # the driver's cursor: a few µs a row
        _sqlite_insert(conn.dialect, table, tuple(columns)).write(conn, rows)
    elif len(rows) >= SET_WISE:
        bulk.insert_rows(conn, table, columns, rows)
    elif rows:
        statement = _INSERT_DELIVERY if table is wd else _INSERT_FEED
        conn.execute(statement, [dict(zip(columns, row, strict=True)) for row in rows])


def insert_deliveries(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Queue callouts (each row in ``DELIVERY_COLUMNS`` order)."""
    _insert(conn, wd, DELIVERY_COLUMNS, rows)


def insert_feed(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Add events to the feed (each row in ``FEED_COLUMNS`` order)."""
    _insert(conn, event_feed, FEED_COLUMNS, rows)


def unsequenced_feed(conn: Connection, limit: int) -> list[int]:
    statement = sa.select(event_feed.c.id).where(event_feed.c.sequence_number.is_(None))
    return [int(r[0]) for r in conn.execute(statement.order_by(event_feed.c.id).limit(limit))]


def last_feed_sequence(conn: Connection) -> int:
    statement = sa.select(sa.func.max(event_feed.c.sequence_number))
    return int(conn.execute(statement).scalar_one() or 0)


def number_feed(conn: Connection, numbered: Iterable[tuple[int, int]]) -> None:
    statement = (
        sa.update(event_feed)
        .where(event_feed.c.id == sa.bindparam("row_id"))
        .values(sequence_number=sa.bindparam("seq"))
    )
    params = [{"row_id": row_id, "seq": seq} for row_id, seq in numbered]
    if params:
        conn.execute(statement, params)


def feed_after(conn: Connection, after: int, limit: int) -> list[Any]:
    statement = (
        sa.select(event_feed)
        .where(event_feed.c.sequence_number > after)
        .order_by(event_feed.c.sequence_number)
        .limit(limit)
    )
    return list(conn.execute(statement))


def unsequenced_deliveries(conn: Connection, limit: int) -> list[Any]:
    statement = sa.select(wd).where(wd.c.sequence_number.is_(None)).order_by(wd.c.id).limit(limit)
    return list(conn.execute(statement))


def number_delivery(conn: Connection, delivery_id: int, sequence: int, body: str) -> None:
    conn.execute(
        sa.update(wd).where(wd.c.id == delivery_id).values(sequence_number=sequence, body=body)
    )


def due_webhooks(conn: Connection, now: float, limit: int = 100) -> list[tuple[str, int]]:
    """Webhooks whose first pending callout (in sequence order) is due."""
    waiting = sa.and_(wd.c.status == PENDING, wd.c.sequence_number.is_not(None))
    head = (
        sa.select(
            wd.c.webhook_entity, wd.c.webhook_id, sa.func.min(wd.c.sequence_number).label("seq")
        )
        .where(waiting)
        .group_by(wd.c.webhook_entity, wd.c.webhook_id)
        .subquery()
    )
    statement = (
        sa.select(head.c.webhook_entity, head.c.webhook_id)
        .join(
            wd,
            sa.and_(
                wd.c.webhook_entity == head.c.webhook_entity,
                wd.c.webhook_id == head.c.webhook_id,
                wd.c.sequence_number == head.c.seq,
            ),
        )
        .where(wd.c.next_attempt_at <= now)
        .limit(limit)
    )
    return [(str(e), int(i)) for e, i in conn.execute(statement)]


def pending(conn: Connection, webhook_entity: str, webhook_id: int, limit: int) -> list[Any]:
    statement = (
        sa.select(wd)
        .where(
            wd.c.webhook_entity == webhook_entity,
            wd.c.webhook_id == webhook_id,
            wd.c.status == PENDING,
            wd.c.sequence_number.is_not(None),
        )
        .order_by(wd.c.sequence_number)
        .limit(limit)
    )
    return list(conn.execute(statement))


def deliveries(
    conn: Connection, webhook_entity: str, webhook_id: int, first: int, last: int
) -> list[Any]:
    statement = (
        sa.select(wd)
        .where(
            wd.c.webhook_entity == webhook_entity,
            wd.c.webhook_id == webhook_id,
            wd.c.sequence_number.between(first, last),
        )
        .order_by(wd.c.sequence_number)
    )
    return list(conn.execute(statement))


def set_delivery(conn: Connection, delivery_id: int, **values: Any) -> None:
    conn.execute(sa.update(wd).where(wd.c.id == delivery_id).values(**values))


def cancel_pending(conn: Connection, webhook_entity: str, webhook_id: int, reason: str) -> int:
    statement = (
        sa.update(wd)
        .where(
            wd.c.webhook_entity == webhook_entity,
            wd.c.webhook_id == webhook_id,
            wd.c.status == PENDING,
            wd.c.action != "Deactivated",
        )
        .values(status=CANCELLED, last_error=reason)
    )
    return int(conn.execute(statement).rowcount)


# ---- per-webhook state ---------------------------------------------------------------------
def _key(webhook_entity: str, webhook_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(ws.c.webhook_entity == webhook_entity, ws.c.webhook_id == webhook_id)


def ensure_state(conn: Connection, webhook_entity: str, webhook_id: int) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = {"webhook_entity": webhook_entity, "webhook_id": webhook_id, "last_sequence": 0}
    values |= {"failures": 0}
    conn.execute(dialect.insert(ws).values(values).on_conflict_do_nothing())


def state(conn: Connection, webhook_entity: str, webhook_id: int) -> Any:
    return conn.execute(sa.select(ws).where(_key(webhook_entity, webhook_id))).first()


def update_state(conn: Connection, webhook_entity: str, webhook_id: int, **values: Any) -> None:
    ensure_state(conn, webhook_entity, webhook_id)
    conn.execute(sa.update(ws).where(_key(webhook_entity, webhook_id)).values(**values))


def take_sequences(conn: Connection, webhook_entity: str, webhook_id: int, count: int) -> int:
    """Reserve ``count`` sequence numbers for the webhook; the first of them."""
    ensure_state(conn, webhook_entity, webhook_id)
    statement = (
        sa.update(ws)
        .where(_key(webhook_entity, webhook_id))
        .values(last_sequence=ws.c.last_sequence + count)
        .returning(ws.c.last_sequence)
    )
    return int(conn.execute(statement).scalar_one()) - count + 1


def take_lease(
    conn: Connection, webhook_entity: str, webhook_id: int, owner: str, now: float, until: float
) -> bool:
    """Whether ``owner`` now holds the webhook's delivery lease (free, expired or its own)."""
    ensure_state(conn, webhook_entity, webhook_id)
    free = sa.or_(ws.c.lease_until.is_(None), ws.c.lease_until < now, ws.c.lease_owner == owner)
    statement = (
        sa.update(ws)
        .where(_key(webhook_entity, webhook_id), free)
        .values(lease_owner=owner, lease_until=until)
    )
    return int(conn.execute(statement).rowcount) == 1


def release_lease(conn: Connection, webhook_entity: str, webhook_id: int, owner: str) -> None:
    conn.execute(
        sa.update(ws)
        .where(_key(webhook_entity, webhook_id), ws.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


# ---- reference data --------------------------------------------------------------------------
def seed_field_picklists(conn: Connection, families: Iterable[WebhookFamily]) -> None:
    """Each family's ``fieldID`` picklist (the subject's supported fields), kept in step with
    the declarations on every start: missing fields added, vanished ones made inactive."""
    for family in families:
        key = f"{family.fields.name}.fieldID"
        wanted = {v.value: v for v in field_picklist(family.subject)}
        stored = {
            int(r[0]) for r in conn.execute(sa.select(pv.c.value).where(pv.c.picklist == key))
        }
        missing = [v for n, v in wanted.items() if n not in stored]
        if missing:
            catalog.insert_picklist_values(conn, key, missing)
        gone = stored - set(wanted)
        if gone:
            conn.execute(
                sa.update(pv)
                .where(pv.c.picklist == key, pv.c.value.in_(gone))
                .values(is_active=False)
            )
