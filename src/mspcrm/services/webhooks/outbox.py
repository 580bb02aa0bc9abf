"""The outbox: events written in the transaction of the change they report.

Every write leaves a history entry (``store.history.record``: the write path, the
rules' related writes, merges); ``record_change`` observes each one and, for an
entity that supports webhooks, adds the change to the event feed and queues one
callout per active, ready webhook subscribed to it, all in the same transaction: a
crash loses the change and its events together or neither. The bulk import writes
its history set-wise and calls ``record_events`` with the batch.

A callout's ``Fields`` are the changed fields the webhook subscribes to plus its
display-always fields (current values; a delete's last values). An update that
changes no subscribed field, and any change made by an excluded resource, sends
nothing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.callouts import OPS
from mspcrm.domain.entities import WEBHOOK_FAMILIES
from mspcrm.domain.entities.webhooks import WebhookFamily, field_ids
from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import utc_now
from mspcrm.store import history, repository
from mspcrm.store import webhooks as store
from mspcrm.store.webhooks import PENDING, Subscription

UDF_PREFIX = f"{repository.UDFS}."
PENDING_KEY = "mspcrm_webhook_events"  # on Connection.info: this transaction queued callouts
FAMILIES: dict[str, WebhookFamily] = {f.subject.name: f for f in WEBHOOK_FAMILIES}
FIELD_NAMES: dict[str, dict[int, str]] = {
    name: {number: f.name for number, f in field_ids(fam.subject).items()}
    for name, fam in FAMILIES.items()
}


@dataclass(frozen=True)
class Change:
    """One record's change, as its history entry has it (``changes``: name -> [old, new])."""

    entity: str
    record_id: int
    op: str  # create | update | delete
    changes: Mapping[str, Sequence[Any]]
    resource_id: int | None


def record_change(
    conn: Connection,
    entity: str,
    record_id: int,
    op: str,
    changes: history.Changes,
    resource_id: int | None,
) -> None:
    """The history observer (registered by ``services.webhooks``)."""
    if entity in FAMILIES:
        record_events(conn, [Change(entity, record_id, op, changes, resource_id)])


def record_events(conn: Connection, changes: Sequence[Change]) -> None:
    """Feed events and callouts for ``changes``, in ``conn``'s transaction (also what the
    bulk import calls with a batch's creates)."""
    by_entity: dict[str, list[Change]] = {}
    for change in changes:
        if change.entity in FAMILIES:
            by_entity.setdefault(change.entity, []).append(change)
    now = utc_now()
    for name, group in by_entity.items():
        store.insert_feed(conn, [_feed_row(c, now) for c in group])
        queued = _callouts(conn, FAMILIES[name], group, now)
        if queued:
            store.insert_deliveries(conn, queued)
            conn.info[PENDING_KEY] = True


def _feed_row(change: Change, now: Any) -> tuple[Any, ...]:
    fields = {} if change.op == "delete" else _new_values(change.changes)
    action = OPS[change.op].value
    return (action, change.entity, change.record_id, fields, change.resource_id, now)


def _new_values(changes: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    return {_wire_name(name): pair[1] for name, pair in changes.items()}


def _wire_name(name: str) -> str:
    return name[len(UDF_PREFIX) :] if name.startswith(UDF_PREFIX) else name


def _callouts(
    conn: Connection, family: WebhookFamily, changes: list[Change], now: Any
) -> list[tuple[Any, ...]]:
    hooks = store.subscriptions(conn, family, FIELD_NAMES[family.subject.name])
    if not hooks:
        return []
    rows: list[tuple[Any, ...]] = []
    for change in changes:
        current: dict[str, Any] | None = None
        for hook in hooks:
            fields = _fields_for(hook, change)
            if fields is None:
                continue
            if hook.display_always - set(change.changes) and change.op != "delete":
                current = current or _current(conn, family.subject, change.record_id)
            fields |= _display_always(hook, change, current or {})
            rows.append(_delivery_row(family, hook, change, fields, now))
    return rows


def _fields_for(hook: Subscription, change: Change) -> dict[str, Any] | None:
    """The changed fields a callout carries, or None when the webhook sends nothing."""
    if not hook.wants(change.op) or change.resource_id in hook.excluded:
        return None
    if change.op == "delete":
        return {}
    changed = {n: pair[1] for n, pair in change.changes.items() if n in hook.subscribed}
    if change.op == "update" and not changed:
        return None
    if change.op == "create":
        changed = {n: v for n, v in changed.items() if v is not None}
    return {_wire_name(n): v for n, v in changed.items()}


def _display_always(
    hook: Subscription, change: Change, current: Mapping[str, Any]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in hook.display_always:
        if name in change.changes:
            pair = change.changes[name]
            values[_wire_name(name)] = pair[0] if change.op == "delete" else pair[1]
        else:
            values[_wire_name(name)] = current.get(name)
    return values


def _current(conn: Connection, entity: Entity, record_id: int) -> dict[str, Any]:
    """The record's values as JSON (as history keeps them), UDFs under the history prefix."""
    record = repository.get(conn, entity, record_id) or {}
    values = {k: history.json_value(v) for k, v in record.items() if k != repository.UDFS}
    for name, value in (record.get(repository.UDFS) or {}).items():
        values[f"{UDF_PREFIX}{name}"] = history.json_value(value)
    return values


def _delivery_row(
    family: WebhookFamily, hook: Subscription, change: Change, fields: dict[str, Any], now: Any
) -> tuple[Any, ...]:
    action = OPS[change.op].value
    return (
        family.webhook.name, hook.webhook_id, action, hook.guid, None, family.subject.name,
        change.record_id, fields, change.resource_id, now, PENDING, 0, time.time(),
    )  # fmt: skip


history.observe(record_change)
