"""Webhooks as Autotask sends them, from a durable outbox; and the event feed (docs/webhooks.md).

Importing the package registers the webhook entities' rules and the outbox's history
observer.
"""

from mspcrm.services.webhooks import outbox, rules
from mspcrm.services.webhooks.outbox import Change, record_events
from mspcrm.services.webhooks.service import WebhookService

__all__ = ["Change", "WebhookService", "outbox", "record_events", "rules"]
