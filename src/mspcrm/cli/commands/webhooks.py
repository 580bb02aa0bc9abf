"""``mspcrm webhooks list|log|test|replay|deliver``: the operator's view of callouts (local
database only: they run the server's own delivery code in this process)."""

from __future__ import annotations

import time

import click

from mspcrm.cli.common import console, database_option, emit, open_services, print_json

KINDS = "CompanyWebhooks, ContactWebhooks, CompanyLocationWebhooks, ..."


@click.group("webhooks")
def webhooks() -> None:
    """Webhook callouts: list them, read a delivery log, send a test, replay, deliver."""


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@database_option
def list_webhooks(as_json: bool, database: str | None) -> None:
    """Every webhook: where it calls, whether it is active and ready, its last sequence."""
    with open_services(database) as services:
        rows = services.webhooks.webhooks()
    columns = ["entity", "id", "name", "webhookUrl", "isActive", "isReady", "lastSequenceNumber"]
    emit(rows, columns, as_json=as_json, as_csv=False, title="Webhooks")


@webhooks.command("log")
@click.argument("entity")
@click.argument("webhook_id", type=int)
@click.option("--limit", default=50, show_default=True, help="How many of each, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@database_option
def log(entity: str, webhook_id: int, limit: int, as_json: bool, database: str | None) -> None:
    """The last callouts of webhook WEBHOOK_ID of ENTITY (e.g. CompanyWebhooks) and its
    error log."""
    with open_services(database) as services:
        found = services.webhooks.log(entity, webhook_id, limit)
    if as_json:
        print_json(found)
        return
    columns = ["sequenceNumber", "action", "id", "status", "attempts", "deliveredAt", "lastError"]
    emit(found["callouts"], columns, as_json=False, as_csv=False, title="Callouts")
    errors = ["createDateTime", "sequenceNumber", "errorMessage"]
    emit(found["errors"], errors, as_json=False, as_csv=False, title="WebhookEventErrorLogs")


@webhooks.command("test")
@click.argument("entity")
@click.argument("webhook_id", type=int)
@database_option
def test(entity: str, webhook_id: int, database: str | None) -> None:
    """Send a signed test callout (Action "Test", SequenceNumber 0) to the webhook URL now."""
    with open_services(database) as services:
        outcome = services.webhooks.test(entity, webhook_id)
    if not outcome["ok"]:
        raise click.ClickException(f"the test callout failed: {outcome['error']}")
    console.print(f"Delivered: HTTP {outcome['status']}", highlight=False)


@webhooks.command("replay")
@click.argument("entity")
@click.argument("webhook_id", type=int)
@click.argument("first", type=int)
@click.argument("last", type=int, required=False)
@database_option
def replay(
    entity: str, webhook_id: int, first: int, last: int | None, database: str | None
) -> None:
    """Send callouts FIRST to LAST (sequence numbers) of the webhook again, as they were."""
    with open_services(database) as services:
        results = services.webhooks.replay(entity, webhook_id, first, last or first)
    emit(results, ["sequenceNumber", "ok", "status", "error"], as_json=False, as_csv=False)
    if not results:
        raise click.ClickException(f"no callouts numbered {first} to {last or first}")


@webhooks.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@database_option
def deliver(once: bool, database: str | None) -> None:
    """Run the delivery worker alone (without a server), until Ctrl-C or with --once."""
    with open_services(database) as services:
        worker = services.webhooks.worker
        if once:
            console.print(f"Delivered {worker.drain()} callouts", highlight=False)
            return
        worker.start()
        console.print("Delivering webhook callouts; Ctrl-C to stop", highlight=False)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def register(cli: click.Group) -> None:
    cli.add_command(webhooks)
