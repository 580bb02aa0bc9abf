"""The bulk import queues its creates' events in each batch's transaction."""

from __future__ import annotations

from pathlib import Path

from mspcrm.services.crm import Services
from tests.imports.helpers import run_import, write_csv
from tests.webhooks.conftest import make_webhook
from tests.webhooks.receiver import Receiver


def test_imported_companies_are_called_out_in_order(
    hooked: Services, receiver: Receiver, tmp_path: Path
) -> None:
    make_webhook(hooked, receiver, always=("companyNumber",))
    rows = [(f"Imported {i}", "Customer", f"N{i}") for i in range(120)]
    path = write_csv(tmp_path / "c.csv", ("companyName", "companyType", "companyNumber"), rows)
    result, _ = run_import(hooked, "Company", path)
    assert result.counts["created"] == 120, result.counts
    hooked.webhooks.worker.drain()
    calls = receiver.received("/hook")
    assert [c.body["SequenceNumber"] for c in calls] == list(range(1, 121))
    assert [c.body["Fields"] for c in calls[:2]] == [
        {"companyName": "Imported 0", "companyNumber": "N0"},
        {"companyName": "Imported 1", "companyNumber": "N1"},
    ]
    feed = hooked.webhooks.events(0, 500)
    imported = [e for e in feed if str(e["Fields"].get("companyName", "")).startswith("Imp")]
    assert len(imported) == 120 and {e["Action"] for e in imported} == {"Create"}
