"""Callouts as Autotask sends them: shape, fields, signatures, order, exclusions."""

from __future__ import annotations

from mspcrm.services.crm import Services
from tests.webhooks.conftest import ACTOR, make_webhook
from tests.webhooks.receiver import Receiver, verify

TRICKY = "Ä & <Sö> 'q' \"d\" `t` + 😀 \\ b\nx"


def _company(services: Services, name: str = "Acme") -> int:
    company = services.registry.by_name("Company")
    return services.records.create(company, {"companyName": name, "companyType": 1}, ACTOR)


def test_create_update_delete_callouts_verify_as_autotask_documents(
    hooked: Services, receiver: Receiver
) -> None:
    make_webhook(hooked, receiver, subject="Contact", fields=("firstName",), always=("companyID",))
    company = _company(hooked)
    contact = hooked.registry.by_name("Contact")
    body = {"companyID": company, "firstName": TRICKY, "lastName": "Lee"}
    contact_id = hooked.records.create(contact, body, ACTOR)
    hooked.records.update(contact, {"id": contact_id, "lastName": "Not subscribed"}, ACTOR)
    hooked.records.update(contact, {"id": contact_id, "firstName": "Ann"}, ACTOR)
    hooked.records.delete(contact, contact_id, ACTOR)
    assert hooked.webhooks.worker.drain() == 3
    calls = receiver.received("/hook")
    assert [c.body["Action"] for c in calls] == ["Create", "Update", "Delete"]
    assert [c.body["SequenceNumber"] for c in calls] == [1, 2, 3]
    for call in calls:
        assert verify(call.raw, call.headers.get("X-Hook-Signature"), "s3cret-key")
        assert list(call.body) == [
            "Action", "Guid", "EntityType", "Id", "Fields", "EventTime", "SequenceNumber",
            "PersonID",
        ]  # fmt: skip
        assert call.body["EntityType"] == "Contact" and call.body["Id"] == contact_id
    assert calls[0].body["Fields"] == {"firstName": TRICKY, "companyID": company}
    assert calls[1].body["Fields"] == {"firstName": "Ann", "companyID": company}
    assert calls[2].body["Fields"] == {"companyID": company}
    assert b"\\u00C4 \\u0026 \\u003CS\\u00F6\\u003E" in calls[0].raw
    assert b"\\uD83D\\uDE00" in calls[0].raw  # non-BMP as UTF-16 surrogates, as .NET does


def test_a_wrong_secret_does_not_verify(hooked: Services, receiver: Receiver) -> None:
    make_webhook(hooked, receiver)
    _company(hooked, "Ünïcode & Co")
    hooked.webhooks.worker.drain()
    [call] = receiver.received("/hook")
    assert verify(call.raw, call.headers["X-Hook-Signature"], "s3cret-key")
    assert not verify(call.raw, call.headers["X-Hook-Signature"], "another key")


def test_order_per_webhook_across_many_changes(hooked: Services, receiver: Receiver) -> None:
    make_webhook(hooked, receiver)
    company = hooked.registry.by_name("Company")
    first = _company(hooked, "Name 0")
    for i in range(1, 40):
        hooked.records.update(company, {"id": first, "companyName": f"Name {i}"}, ACTOR)
    hooked.webhooks.worker.drain()
    calls = receiver.received("/hook")
    assert [c.body["SequenceNumber"] for c in calls] == list(range(1, 41))
    assert [c.body["Fields"]["companyName"] for c in calls] == [f"Name {i}" for i in range(40)]


def test_an_excluded_resource_sends_nothing(hooked: Services, receiver: Receiver) -> None:
    resource_id, _ = hooked.admin.create_resource("Ex", "Cluded", "ex@msp.example")
    webhook_id = make_webhook(hooked, receiver)
    excluded = hooked.registry.by_name("CompanyWebhookExcludedResource")
    hooked.records.create(excluded, {"resourceID": resource_id}, ACTOR, parent_id=webhook_id)
    company = hooked.registry.by_name("Company")
    body = {"companyName": "Quiet", "companyType": 1}
    hooked.records.create(company, body, ACTOR.__class__(resource_id=resource_id))
    _company(hooked, "Loud")
    hooked.webhooks.worker.drain()
    assert [c.body["Fields"]["companyName"] for c in receiver.received("/hook")] == ["Loud"]


def test_not_ready_or_inactive_webhooks_send_nothing(hooked: Services, receiver: Receiver) -> None:
    make_webhook(hooked, receiver, fields=())  # no subscribed field: not ready
    make_webhook(hooked, receiver, isActive=False)
    _company(hooked)
    hooked.webhooks.worker.drain()
    assert receiver.received("/hook") == []


def test_related_writes_reach_webhooks(hooked: Services, receiver: Receiver) -> None:
    """A rule's write to another record (a company's first location) is an event too."""
    make_webhook(hooked, receiver, subject="CompanyLocation", fields=("name",))
    _company(hooked)
    hooked.webhooks.worker.drain()
    assert [c.body["EntityType"] for c in receiver.received("/hook")] == ["CompanyLocation"]
