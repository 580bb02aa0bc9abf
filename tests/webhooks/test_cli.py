"""``mspcrm webhooks list|log|test|replay|deliver`` on a local database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mspcrm.cli.main import cli
from mspcrm.services.crm import Services
from tests.webhooks.conftest import ACTOR, make_webhook
from tests.webhooks.receiver import Receiver


def run(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["webhooks", *args, "--database", db_url])
    return result.exit_code, result.output


def test_list_deliver_log_test_replay(
    hooked: Services, receiver: Receiver, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSPCRM_WEBHOOK_ALLOW", "127.0.0.1/32")
    webhook_id = make_webhook(hooked, receiver)
    company = hooked.registry.by_name("Company")
    hooked.records.create(company, {"companyName": "Cli Co", "companyType": 1}, ACTOR)
    code, out = run(db_url, "deliver", "--once")
    assert code == 0 and "Delivered 1 callouts" in out, out
    code, out = run(db_url, "list", "--json")
    [listed] = json.loads(out)
    assert listed["id"] == webhook_id and listed["lastSequenceNumber"] == 1
    code, out = run(db_url, "log", "CompanyWebhooks", str(webhook_id), "--json")
    assert json.loads(out)["callouts"][0]["status"] == "delivered"
    code, out = run(db_url, "test", "CompanyWebhooks", str(webhook_id))
    assert code == 0 and "HTTP 200" in out, out
    code, out = run(db_url, "replay", "CompanyWebhooks", str(webhook_id), "1")
    assert code == 0, out
    assert [c.body["Action"] for c in receiver.received("/hook")] == ["Create", "Test", "Create"]
    code, out = run(db_url, "log", "Companies", str(webhook_id))  # the watched entity's name
    assert code == 0, out
    code, out = run(db_url, "log", "Resources", "1")
    assert code == 2 and "not a webhook entity" in out
