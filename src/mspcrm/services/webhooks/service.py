"""What the surfaces ask of webhooks: the delivery worker, the event feed, and the operator's
verbs (list, log, test, replay)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mspcrm.config import Settings
from mspcrm.domain.callouts import callout_body, feed_item
from mspcrm.domain.entities import WEBHOOK_EVENT_ERROR_LOG, WEBHOOK_FAMILIES
from mspcrm.domain.entities.webhooks import WebhookFamily, error_log_link
from mspcrm.domain.entity import Registry, snake
from mspcrm.domain.fields import format_datetime, utc_now
from mspcrm.errors import NotFoundError, ValidationError
from mspcrm.services.records import RecordService
from mspcrm.services.webhooks.delivery import RetryPolicy, number_pending
from mspcrm.services.webhooks.destinations import DestinationPolicy, install_policy
from mspcrm.services.webhooks.worker import DeliveryWorker
from mspcrm.store import repository
from mspcrm.store import webhooks as store
from mspcrm.store.database import Database
from mspcrm.store.schema import entity_table
from mspcrm.store.schema import webhook_deliveries as wd

FEED_PAGE = 500


class WebhookService:
    def __init__(
        self, db: Database, registry: Registry, records: RecordService, settings: Settings
    ) -> None:
        self.db = db
        self.registry = registry
        self.records = records
        self.policy = DestinationPolicy.parse(settings.webhook_allow)
        install_policy(records, self.policy)
        self.retry = RetryPolicy(
            max_attempts=max(1, settings.webhook_max_attempts),
            base_seconds=settings.webhook_retry_seconds,
            lease_seconds=settings.webhook_lease_seconds,
        )
        self._worker: DeliveryWorker | None = None

    # ---- the worker ---------------------------------------------------------------------------
    @property
    def worker(self) -> DeliveryWorker:
        if self._worker is None:
            self._worker = DeliveryWorker(self.db, self.records, self.policy, self.retry)
        return self._worker

    def start_worker(self) -> None:
        self.worker.start()

    def stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    # ---- the event feed -----------------------------------------------------------------------
    def events(self, after: int, limit: int = FEED_PAGE) -> list[dict[str, Any]]:
        """Feed events after sequence number ``after``, oldest first."""
        if not 1 <= limit <= FEED_PAGE:
            raise ValidationError(f"limit must be from 1 to {FEED_PAGE}, not {limit}")
        with self.db.read() as conn:
            waiting = bool(store.unsequenced_feed(conn, 1))
        if waiting:
            number_pending(self.db)
        with self.db.read() as conn:
            rows = store.feed_after(conn, after, limit)
        return [
            feed_item(
                action=r.action,
                entity_type=r.entity_type,
                record_id=r.record_id,
                fields=r.fields or {},
                event_time=format_datetime(r.event_time),
                sequence_number=r.sequence_number,
                person_id=r.person_id,
            )
            for r in rows
        ]

    # ---- the operator's verbs -----------------------------------------------------------------
    def family(self, name: str) -> WebhookFamily:
        entity = self.registry.by_name(name)
        for family in WEBHOOK_FAMILIES:
            if entity in (family.webhook, family.subject):
                return family
        known = ", ".join(f.webhook.path for f in WEBHOOK_FAMILIES)
        raise ValidationError(f"{name!r} is not a webhook entity: use one of {known}")

    def webhooks(self) -> list[dict[str, Any]]:
        found = []
        with self.db.read() as conn:
            for family in WEBHOOK_FAMILIES:
                table = entity_table(family.webhook)
                for row in conn.execute(sa.select(table).order_by(table.c.id)):
                    state = store.state(conn, family.webhook.name, row.id)
                    found.append(_listing(family, row, state))
        return found

    def _webhook(self, family: WebhookFamily, webhook_id: int) -> dict[str, Any]:
        with self.db.read() as conn:
            webhook = repository.get(conn, family.webhook, webhook_id)
        if webhook is None:
            raise NotFoundError(f"{family.webhook.name} not found: no webhook with id {webhook_id}")
        return webhook

    def log(self, name: str, webhook_id: int, limit: int = 50) -> dict[str, Any]:
        """The webhook's last callouts and its error log, newest first."""
        family = self.family(name)
        self._webhook(family, webhook_id)
        errors = entity_table(WEBHOOK_EVENT_ERROR_LOG)
        link = errors.c[snake(error_log_link(family.subject))]
        with self.db.read() as conn:
            calls = conn.execute(
                sa.select(wd)
                .where(wd.c.webhook_entity == family.webhook.name, wd.c.webhook_id == webhook_id)
                .order_by(wd.c.id.desc())
                .limit(limit)
            )
            callouts = [_callout(r) for r in calls]
            rows = conn.execute(
                sa.select(errors)
                .where(link == webhook_id)
                .order_by(errors.c.id.desc())
                .limit(limit)
            )
            logged = [
                {"createDateTime": format_datetime(r.create_date_time),
                 "sequenceNumber": r.sequence_number, "errorMessage": r.error_message}
                for r in rows
            ]  # fmt: skip
        return {"webhook": family.webhook.name, "id": webhook_id, "callouts": callouts,
                "errors": logged}  # fmt: skip

    def test(self, name: str, webhook_id: int) -> dict[str, Any]:
        """Send a test callout now (``Action`` "Test", ``SequenceNumber`` 0: outside the
        webhook's sequence, never queued)."""
        family = self.family(name)
        webhook = self._webhook(family, webhook_id)
        body = callout_body(
            action="Test", guid=webhook.get("webhookGUID") or "", entity_type=family.subject.name,
            record_id=0, fields={}, event_time=format_datetime(utc_now()),
            sequence_number=0, person_id=None,
        )  # fmt: skip
        outcome = self.worker.sender.send(
            webhook["webhookUrl"], body, self._secret(family, webhook_id)
        )
        return {"ok": outcome.ok, "status": outcome.status, "error": outcome.error}

    def replay(self, name: str, webhook_id: int, first: int, last: int) -> list[dict[str, Any]]:
        """Send the callouts numbered ``first`` to ``last`` again, in order, as they were."""
        if first < 1 or last < first:
            raise ValidationError(f"Replay needs 1 <= FIRST <= LAST, not {first}..{last}")
        family = self.family(name)
        webhook = self._webhook(family, webhook_id)
        with self.db.read() as conn:
            rows = store.deliveries(conn, family.webhook.name, webhook_id, first, last)
        secret = self._secret(family, webhook_id)
        results = []
        for row in rows:
            url = row.url or webhook["webhookUrl"]
            outcome = self.worker.sender.send(url, row.body, secret)
            results.append({"sequenceNumber": row.sequence_number, "ok": outcome.ok,
                            "status": outcome.status, "error": outcome.error})  # fmt: skip
        return results

    def _secret(self, family: WebhookFamily, webhook_id: int) -> str | None:
        with self.db.read() as conn:
            state = store.state(conn, family.webhook.name, webhook_id)
        return state.secret_key if state is not None else None


def _listing(family: WebhookFamily, row: Any, state: Any) -> dict[str, Any]:
    return {
        "entity": family.webhook.path,
        "id": row.id,
        "name": row.name,
        "webhookUrl": row.webhook_url,
        "isActive": bool(row.is_active),
        "isReady": bool(row.is_ready),
        "lastSequenceNumber": state.last_sequence if state is not None else 0,
        "failures": state.failures if state is not None else 0,
    }


def _callout(row: Any) -> dict[str, Any]:
    return {
        "sequenceNumber": row.sequence_number,
        "action": row.action,
        "id": row.record_id,
        "status": row.status,
        "attempts": row.attempts,
        "deliveredAt": format_datetime(row.delivered_at) if row.delivered_at else None,
        "lastError": row.last_error,
    }
