"""Delivery from the outbox: numbering, then each webhook's callouts in order.

**Numbering.** Queued callouts get their webhook's next ``SequenceNumber`` and their
final body (the bytes every attempt and every replay sends), and feed events their
feed sequence, by one numberer at a time (a lock on PostgreSQL; SQLite's writes are
serial) and only once committed: so numbers follow commit order, with no gaps a
reader could skip, and writers never wait for one another on a counter.

**Delivery.** A worker leases a webhook (``webhook_state``: one deliverer per webhook
across every process), sends its pending callouts in sequence order and marks each
delivered after its 2xx. A crash between the two sends that callout again, with the
same sequence number and body (receivers deduplicate by it, as with Autotask). A
failure is logged in ``WebhookEventErrorLogs`` and retried with exponential backoff;
later callouts of that webhook wait behind it (order). After ``max_attempts`` the
callout is given up, the webhook deactivated and ``Deactivated`` sent to its
deactivation URL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy.engine import Connection

from mspcrm.domain.callouts import Action, callout_body
from mspcrm.domain.entities import WEBHOOK_EVENT_ERROR_LOG, WEBHOOK_FAMILIES
from mspcrm.domain.entities.webhooks import WebhookFamily, error_log_link
from mspcrm.domain.fields import format_datetime, utc_now
from mspcrm.services.context import SYSTEM
from mspcrm.services.records import RecordService
from mspcrm.services.webhooks.sender import Outcome, Sender
from mspcrm.store import repository
from mspcrm.store import webhooks as store
from mspcrm.store.database import Database
from mspcrm.store.webhooks import CANCELLED, DELIVERED, FAILED

log = logging.getLogger("mspcrm.webhooks")
BY_WEBHOOK: dict[str, WebhookFamily] = {f.webhook.name: f for f in WEBHOOK_FAMILIES}
NUMBER_BATCH = 5_000
SEND_BATCH = 50


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 600.0
    lease_seconds: float = 60.0

    def delay(self, attempts: int) -> float:
        return float(min(self.cap_seconds, self.base_seconds * 2 ** (attempts - 1)))


# ---- numbering -----------------------------------------------------------------------------
def number_pending(db: Database) -> int:
    """Number what committed since the last run; how many rows were numbered."""
    with db.read() as conn:  # the usual case, nothing waiting, takes no write lock
        if not (store.unsequenced_feed(conn, 1) or store.unsequenced_deliveries(conn, 1)):
            return 0
    with db.write() as conn:
        db.lock(conn, "mspcrm-webhook-numbering")
        feed = store.unsequenced_feed(conn, NUMBER_BATCH)
        first = store.last_feed_sequence(conn) + 1
        store.number_feed(conn, zip(feed, range(first, first + len(feed)), strict=True))
        callouts = store.unsequenced_deliveries(conn, NUMBER_BATCH)
        for (entity, webhook_id), rows in groupby(
            sorted(callouts, key=lambda r: (r.webhook_entity, r.webhook_id, r.id)),
            key=lambda r: (r.webhook_entity, r.webhook_id),
        ):
            _number_callouts(conn, entity, webhook_id, list(rows))
    return len(feed) + len(callouts)


def _number_callouts(conn: Connection, entity: str, webhook_id: int, rows: list[Any]) -> None:
    first = store.take_sequences(conn, entity, webhook_id, len(rows))
    for sequence, row in enumerate(rows, start=first):
        body = callout_body(
            action=row.action,
            guid=row.guid,
            entity_type=row.entity_type,
            record_id=row.record_id,
            fields=row.fields or {},
            event_time=format_datetime(row.event_time),
            sequence_number=sequence,
            person_id=row.person_id,
        )
        store.number_delivery(conn, row.id, sequence, body)


# ---- delivering one webhook's callouts -------------------------------------------------------
class WebhookDeliverer:
    """Sends one webhook's due callouts in order under its lease."""

    def __init__(
        self,
        db: Database,
        records: RecordService,
        sender: Sender,
        owner: str,
        retry: RetryPolicy,
        books: Database | None = None,
    ) -> None:
        self.db = db
        self.books = books or db  # leases, delivery marks, error logs
        self.records = records
        self.sender = sender
        self.owner = owner
        self.retry = retry

    def run(self, webhook_entity: str, webhook_id: int) -> int:
        """Deliver what is due; the number of callouts delivered."""
        if not self._lease(webhook_entity, webhook_id):
            return 0
        delivered, renew_at = 0, time.monotonic() + self.retry.lease_seconds / 3
        try:
            for row in self._due(webhook_entity, webhook_id):
                outcome = self._send(BY_WEBHOOK[webhook_entity], row)
                if outcome is None:
                    continue
                if not outcome.ok:
                    self._failed(BY_WEBHOOK[webhook_entity], row, outcome)
                    break
                self._delivered(row)
                delivered += 1
                if time.monotonic() > renew_at:
                    if not self._lease(webhook_entity, webhook_id):
                        break  # taken over (this process stalled): the other one goes on
                    renew_at = time.monotonic() + self.retry.lease_seconds / 3
        finally:
            with self.books.write() as conn:
                store.release_lease(conn, webhook_entity, webhook_id, self.owner)
        return delivered

    def _lease(self, webhook_entity: str, webhook_id: int) -> bool:
        now = time.time()
        with self.books.write() as conn:
            return store.take_lease(
                conn, webhook_entity, webhook_id, self.owner, now, now + self.retry.lease_seconds
            )

    def _due(self, webhook_entity: str, webhook_id: int) -> Iterator[Any]:
        while True:
            with self.db.read() as conn:
                rows = store.pending(conn, webhook_entity, webhook_id, SEND_BATCH)
            if not rows or rows[0].next_attempt_at > time.time():
                return
            yield from rows
            if len(rows) < SEND_BATCH:
                return

    def _send(self, family: WebhookFamily, row: Any) -> Outcome | None:
        """Send ``row``; None when it is not to be sent (cancelled: the webhook is off)."""
        with self.db.read() as conn:
            webhook = repository.get(conn, family.webhook, row.webhook_id)
            state = store.state(conn, row.webhook_entity, row.webhook_id)
        deactivated = row.action == Action.DEACTIVATED.value
        if not deactivated and (webhook is None or not webhook.get("isActive")):
            with self.books.write() as conn:
                store.set_delivery(conn, row.id, status=CANCELLED, last_error="webhook inactive")
            return None
        url = row.url if deactivated else webhook["webhookUrl"]  # type: ignore[index]
        secret = state.secret_key if state is not None else None
        return self.sender.send(url, row.body, secret)

    def _delivered(self, row: Any) -> None:
        with self.books.write() as conn:
            store.set_delivery(
                conn, row.id, status=DELIVERED, delivered_at=utc_now(), attempts=row.attempts + 1
            )
            if row.attempts:
                store.update_state(conn, row.webhook_entity, row.webhook_id, failures=0)

    def _failed(self, family: WebhookFamily, row: Any, outcome: Outcome) -> None:
        attempts = row.attempts + 1
        give_up = attempts >= self.retry.max_attempts
        with self.books.write() as conn:
            status = FAILED if give_up else row.status
            store.set_delivery(
                conn,
                row.id,
                attempts=attempts,
                status=status,
                last_error=outcome.error,
                next_attempt_at=time.time() + self.retry.delay(attempts),
            )
            message = f"Attempt {attempts} of {self.retry.max_attempts}: {outcome.error}"
            error_log(conn, family, row, message)
            store.update_state(conn, row.webhook_entity, row.webhook_id, failures=attempts)
        log.warning("webhook %s %s callout %s: %s", row.webhook_entity, row.webhook_id,
                    row.sequence_number, message)  # fmt: skip
        if give_up and row.action != Action.DEACTIVATED.value:
            self._deactivate(family, row)

    def _deactivate(self, family: WebhookFamily, row: Any) -> None:
        """Turn the webhook off (the write path queues ``Deactivated``) and say so."""
        body = {"id": row.webhook_id, "isActive": False}
        self.records.update(family.webhook, body, SYSTEM)
        message = (
            f"Webhook {row.webhook_id} deactivated: callout {row.sequence_number} failed "
            f"{self.retry.max_attempts} times"
        )
        with self.db.write() as conn:
            error_log(conn, family, row, message)
        log.warning("%s", message)


def error_log(conn: Connection, family: WebhookFamily, row: Any, message: str) -> None:
    """A row of ``WebhookEventErrorLogs`` (the webhook's link left empty once it is gone)."""
    exists = repository.get(conn, family.webhook, row.webhook_id) is not None
    values = {
        error_log_link(family.subject): row.webhook_id if exists else None,
        "createDateTime": utc_now(),
        "errorMessage": message[:8000],
        "payload": (row.body or "")[:32000],
        "sequenceNumber": row.sequence_number,
    }
    repository.insert(conn, WEBHOOK_EVENT_ERROR_LOG, values)
