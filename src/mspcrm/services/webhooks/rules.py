"""Autotask's rules for the webhook entities, registered for every family.

- a webhook gets a generated ``webhookGUID`` and starts not ready; it is ready
  (``isReady``) while at least one field or UDF is subscribed;
- ``secretKey`` is write-only: taken out of the values before they are checked,
  written or kept in history, stored apart (``webhook_state``); a PUT or PATCH that
  leaves it out (or null) keeps it, an empty string removes it;
- both URLs are checked against the destination policy when saved;
- a field, UDF or excluded resource is named once per webhook; a UDF must be one
  of the subject entity's;
- a webhook that stops being active, or is deleted, sends ``Deactivated`` to its
  deactivation URL; deleting it deletes its fields and exclusions.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from mspcrm.domain.callouts import Action
from mspcrm.domain.entities import WEBHOOK_FAMILIES
from mspcrm.domain.entities.webhooks import SECRET_FIELD, WebhookFamily
from mspcrm.domain.fields import utc_now
from mspcrm.errors import ConflictError, ValidationError
from mspcrm.services.hooks import WriteContext, rule
from mspcrm.services.webhooks.destinations import policy_for
from mspcrm.store import repository
from mspcrm.store import webhooks as store
from mspcrm.store.webhooks import PENDING

URL_FIELDS = ("webhookUrl", "deactivationUrl")
SECRET_NOTE = "webhook secret"


def _take_secret(ctx: WriteContext) -> None:
    secret = ctx.values.pop(SECRET_FIELD, None)
    if secret is not None:
        ctx.notes[SECRET_NOTE] = secret


def _new_webhook(ctx: WriteContext) -> None:
    ctx.values["webhookGUID"] = str(uuid.uuid4())
    ctx.values["isReady"] = False


def _check_urls(ctx: WriteContext) -> None:
    policy = policy_for(ctx.service)
    problems = []
    for name in URL_FIELDS:
        if name in ctx.values and ctx.values[name] is not None:
            problems += policy.problems(name, ctx.values[name])
    if problems:
        raise ValidationError(*problems)


def _save_secret(ctx: WriteContext) -> None:
    secret = ctx.notes.get(SECRET_NOTE)
    if secret is None or ctx.record_id is None:
        return
    store.update_state(ctx.conn, ctx.entity.name, ctx.record_id, secret_key=secret or None)


def _deactivated(ctx: WriteContext, family: WebhookFamily) -> None:
    """Queue ``Deactivated`` for the deactivation URL when the webhook stops being active."""
    was_active = ctx.current is not None and bool(ctx.current.get("isActive"))
    stopped = ctx.op == "delete" or (ctx.changed("isActive") and not ctx.final("isActive"))
    if not (was_active and stopped) or ctx.record_id is None:
        return
    url, guid = ctx.final("deactivationUrl"), ctx.final("webhookGUID")
    queue_deactivated(ctx.conn, family, ctx.record_id, guid or "", url, ctx.actor)


def queue_deactivated(
    conn: Any, family: WebhookFamily, webhook_id: int, guid: str, url: str | None, actor: Any
) -> None:
    """Cancel the webhook's pending callouts and queue ``Deactivated`` for ``url``."""
    if not url:
        return
    store.cancel_pending(conn, family.webhook.name, webhook_id, "the webhook was deactivated")
    row: tuple[Any, ...] = (
        family.webhook.name, webhook_id, Action.DEACTIVATED.value, guid, url,
        family.subject.name,
        webhook_id, {}, actor.resource_id, utc_now(), PENDING, 0, time.time(),
    )  # fmt: skip
    store.insert_deliveries(conn, [row])
    conn.info["mspcrm_webhook_events"] = True


def _delete_children(ctx: WriteContext, family: WebhookFamily) -> None:
    for child in family.children:
        ctx.service.related_delete(ctx.conn, child, {"webhookID": ctx.record_id}, ctx.actor)


def _refresh_ready(ctx: WriteContext, family: WebhookFamily) -> None:
    webhook_id = ctx.final("webhookID")
    if webhook_id is None or repository.get(ctx.conn, family.webhook, webhook_id) is None:
        return
    ready = store.subscribed_count(ctx.conn, family, webhook_id) > 0
    ctx.service.related_update(
        ctx.conn, family.webhook, {"id": webhook_id, "isReady": not ready}, {"isReady": ready},
        ctx.actor,
    )  # fmt: skip


def _named_once(ctx: WriteContext, name: str, what: str) -> None:
    if not (ctx.changed(name) or ctx.changed("webhookID")):
        return
    equals = {"webhookID": ctx.final("webhookID"), name: ctx.final(name)}
    if repository.find_ids(ctx.conn, ctx.entity, equals, exclude_id=ctx.record_id, limit=1):
        raise ConflictError(
            f"{what} {ctx.final(name)} is already on webhook {ctx.final('webhookID')}"
        )


def _known_udf(ctx: WriteContext, family: WebhookFamily) -> None:
    udf_id = ctx.final("udfFieldID")
    if ctx.changed("udfFieldID") and not store.udf_id_exists(ctx.conn, family.subject.name, udf_id):
        raise ValidationError(
            f"Invalid value for udfFieldID: {udf_id} is not a user-defined field of "
            f"{family.subject.name}"
        )


def _register(family: WebhookFamily) -> None:
    webhook, fields, excluded = family.webhook.name, family.fields.name, family.excluded.name
    rule(webhook, "normalise", "create", "update")(_take_secret)
    rule(webhook, "normalise", "create")(_new_webhook)
    rule(webhook, "before_write", "create", "update")(_check_urls)
    rule(webhook, "before_write", "delete")(lambda ctx: _delete_children(ctx, family))
    rule(webhook, "after_write", "create", "update")(_save_secret)
    rule(webhook, "after_write", "update", "delete")(lambda ctx: _deactivated(ctx, family))
    rule(fields, "before_write", "create", "update")(
        lambda ctx: _named_once(ctx, "fieldID", "Field")
    )
    if family.udf_fields is not None:
        udfs = family.udf_fields.name
        rule(udfs, "before_write", "create", "update")(lambda ctx: _known_udf(ctx, family))
        rule(udfs, "before_write", "create", "update")(
            lambda ctx: _named_once(ctx, "udfFieldID", "User-defined field")
        )
    rule(excluded, "before_write", "create")(lambda ctx: _named_once(ctx, "resourceID", "Resource"))
    for child in family.subscriptions:
        rule(child.name, "after_write")(lambda ctx: _refresh_ready(ctx, family))


for _family in WEBHOOK_FAMILIES:
    _register(_family)
