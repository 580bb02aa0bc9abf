"""Delivery: retries with backoff, the error log, deactivation, redirects, destinations."""

from __future__ import annotations

import time
from collections.abc import Callable

from mspcrm.services.crm import Services
from tests.webhooks.conftest import ACTOR, make_webhook
from tests.webhooks.receiver import Receiver, verify


def _company(services: Services, name: str = "Acme") -> int:
    company = services.registry.by_name("Company")
    return services.records.create(company, {"companyName": name, "companyType": 1}, ACTOR)


def _deliver_until(services: Services, done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        services.webhooks.worker.drain(timeout=1.0)
        time.sleep(0.05)


def _error_log(services: Services) -> list[dict[str, object]]:
    entity = services.registry.by_name("WebhookEventErrorLog")
    return services.records.query(
        entity, {"filter": [{"op": "gte", "field": "id", "value": 0}]}
    ).items


def test_a_failing_receiver_is_retried_then_the_webhook_deactivated(
    hooked: Services, receiver: Receiver
) -> None:
    receiver.statuses = {"/hook": 500}
    webhook_id = make_webhook(hooked, receiver)
    _company(hooked, "First")
    _company(hooked, "Second")
    _deliver_until(hooked, lambda: bool(receiver.received("/deactivated")))
    attempts = receiver.received("/hook")
    assert len(attempts) == 3  # webhook_max_attempts
    assert {c.body["SequenceNumber"] for c in attempts} == {1}  # the second waits behind
    [off] = receiver.received("/deactivated")
    assert off.body["Action"] == "Deactivated" and off.body["SequenceNumber"] == 3
    assert verify(off.raw, off.headers["X-Hook-Signature"], "s3cret-key")
    webhook = hooked.records.get(hooked.registry.by_name("CompanyWebhook"), webhook_id)
    assert webhook is not None and webhook["isActive"] is False
    logged = _error_log(hooked)
    assert len(logged) == 4 and all(e["accountWebhookID"] == webhook_id for e in logged)
    assert "HTTP 500" in str(logged[0]["errorMessage"])
    assert "deactivated" in str(logged[-1]["errorMessage"])
    log = hooked.webhooks.log("CompanyWebhooks", webhook_id)
    statuses = {c["sequenceNumber"]: c["status"] for c in log["callouts"]}
    assert statuses == {1: "failed", 2: "cancelled", 3: "delivered"}


def test_a_receiver_that_recovers_gets_everything_in_order(
    hooked: Services, receiver: Receiver
) -> None:
    receiver.status = 503
    make_webhook(hooked, receiver)
    _company(hooked, "One")
    _company(hooked, "Two")
    hooked.webhooks.worker.drain(timeout=1.0)
    receiver.status = 200
    _deliver_until(hooked, lambda: any(c.body["SequenceNumber"] == 2 for c in receiver.received()))
    seen = [c.body["SequenceNumber"] for c in receiver.received("/hook")]
    assert seen[-2:] == [1, 2] and seen[:-2] == [1] * (len(seen) - 2)


def test_a_redirect_is_not_followed(hooked: Services, receiver: Receiver) -> None:
    receiver.status = 302
    receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data"}
    make_webhook(hooked, receiver)
    _company(hooked)
    hooked.webhooks.worker.drain(timeout=1.0)
    assert [c.path for c in receiver.received()] == ["/hook"]
    assert "redirect to 'http://169.254.169.254/latest/meta-data' not followed" in str(
        _error_log(hooked)[0]["errorMessage"]
    )


def test_destinations_are_checked_again_at_delivery(
    make_services: Callable[..., Services], hooked: Services, receiver: Receiver
) -> None:
    """A webhook saved while 127.0.0.1 was allowed is refused once it no longer is."""
    make_webhook(hooked, receiver)
    _company(hooked)
    strict = make_services(webhook_retry_seconds=0.05, webhook_max_attempts=3)
    strict.webhooks.worker.drain(timeout=1.0)
    assert receiver.received() == []
    assert "Destination refused" in str(_error_log(strict)[0]["errorMessage"])


def test_replay_sends_the_same_bytes_again(hooked: Services, receiver: Receiver) -> None:
    webhook_id = make_webhook(hooked, receiver)
    _company(hooked, "A")
    _company(hooked, "B")
    hooked.webhooks.worker.drain()
    results = hooked.webhooks.replay("CompanyWebhooks", webhook_id, 1, 2)
    assert [r["ok"] for r in results] == [True, True]
    first, second, again1, again2 = receiver.received("/hook")
    assert (again1.raw, again2.raw) == (first.raw, second.raw)
    tested = hooked.webhooks.test("CompanyWebhook", webhook_id)
    assert tested["ok"] and receiver.received("/hook")[-1].body["Action"] == "Test"
