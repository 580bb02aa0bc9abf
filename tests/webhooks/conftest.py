"""Webhook fixtures: services that allow the local receiver, and the receiver itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from tests.webhooks.receiver import Receiver, start_receiver

ALLOW_LOCAL = "127.0.0.1/32"
ACTOR = Actor(resource_id=None, channel="api")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found, server = start_receiver()
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture
def hooked(make_services: Callable[..., Services]) -> Services:
    """Services whose webhooks may call 127.0.0.1, retrying fast."""
    return make_services(
        webhook_allow=ALLOW_LOCAL, webhook_retry_seconds=0.05, webhook_max_attempts=3
    )


def make_webhook(
    services: Services,
    receiver: Receiver,
    *,
    subject: str = "Company",
    fields: tuple[str, ...] = ("companyName",),
    always: tuple[str, ...] = (),
    secret: str | None = "s3cret-key",
    **extra: Any,
) -> int:
    """A ready webhook on ``subject`` subscribed to ``fields`` (and ``always`` shown)."""
    from mspcrm.domain.entities.webhooks import field_ids

    registry = services.registry
    webhook = registry.by_name(f"{subject}Webhook")
    body = {
        "name": "test hook",
        "webhookUrl": receiver.url("/hook"),
        "deactivationUrl": receiver.url("/deactivated"),
        "isActive": True,
        "isSubscribedToCreateEvents": True,
        "isSubscribedToUpdateEvents": True,
        "isSubscribedToDeleteEvents": True,
        **extra,
    }
    if secret is not None:
        body["secretKey"] = secret
    webhook_id = services.records.create(webhook, body, ACTOR)
    ids = {f.name: n for n, f in field_ids(registry.by_name(subject)).items()}
    child = registry.by_name(f"{subject}WebhookField")
    for name in fields:
        services.records.create(
            child, {"fieldID": ids[name], "isSubscribedField": True,
                    "isDisplayAlwaysField": name in always}, ACTOR, parent_id=webhook_id,
        )  # fmt: skip
    for name in set(always) - set(fields):
        services.records.create(
            child, {"fieldID": ids[name], "isDisplayAlwaysField": True}, ACTOR,
            parent_id=webhook_id,
        )  # fmt: skip
    return webhook_id
