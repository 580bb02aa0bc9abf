"""How many requests each workflow makes over the plain Autotask API (counted by the SDK's
client against a live ``serve --compat autotask``), asserted against the budgets written
in docs/workflows.md. The seed: a 4-company tree, an onboarded client, ~8 contacts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mspcrm.workflow_client import WorkflowClient
from tests.workflows.conftest import StandIn
from tests.workflows.test_plain_onboarding import client_document

# workflow -> the most requests it may make here (docs/workflows.md, "Request budgets")
BUDGETS = {
    "company_tree": 4,
    "company_rollup": 8,
    "company_contacts": 4,
    "contact_roles": 5,
    "contact_deactivate": 11,
    "contact_move": 3,
    "transfer --dry-run": 3,
    "transfer": 11,
    "audit": 15,
    "report companies": 2,
    "report pipeline --rollup": 6,
    "duplicates_scan": 3,
    "merge_plan": 12,
    "merge": 19,
    "merge_undo": 12,
    "onboard --dry-run": 13,
    "onboard": 25,
    "onboard (again)": 22,
}


def test_request_counts_stay_within_the_budgets(
    stand_in: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSPCRM_PROFILES_FILE", str(tmp_path / "profiles.json"))
    ids = stand_in.ids
    doc = client_document("Epsilon Health", people=1, sites=3)  # 3 sites, 2 contacts
    calls: dict[str, Callable[[WorkflowClient], Any]] = {
        "company_tree": lambda w: w.company_tree(ids["holding"]),
        "company_rollup": lambda w: w.company_rollup(ids["holding"]),
        "company_contacts": lambda w: w.company_contacts(ids["acme"]),
        "contact_roles": lambda w: w.contact_roles(
            ids["dana"], add=["Technical contact"], remove=["Billing contact"], title="Owner"
        ),
        "contact_deactivate": lambda w: w.contact_deactivate(
            ids["dana"], successor_id=ids["second"]),
        "contact_move": lambda w: w.contact_move(ids["p0"], ids["west"]),
        "transfer --dry-run": lambda w: w.transfer(
            ids["ann"], ids["bea"], opportunities=True, dry_run=True),
        "transfer": lambda w: w.transfer(ids["ann"], ids["bea"], opportunities=True),
        "audit": lambda w: w.audit(),
        "report companies": lambda w: w.report("companies", "type"),
        "report pipeline --rollup": lambda w: w.report("pipeline", "owner", rollup=ids["holding"]),
        "duplicates_scan": lambda w: w.duplicates_scan("Contacts"),
        "merge_plan": lambda w: w.merge_plan("Companies", ids["east"], ids["west"]),
        "merge": lambda w: w.merge("Companies", ids["east"], ids["west"]),
        "merge_undo": lambda w: w.merge_undo(1),
        "onboard --dry-run": lambda w: w.onboard(doc, dry_run=True),
        "onboard": lambda w: w.onboard(doc),
        "onboard (again)": lambda w: w.onboard(doc),
    }  # fmt: skip
    measured: dict[str, int] = {}
    with stand_in.client() as client:
        flows = WorkflowClient(client)
        assert flows.native is False  # asked once: one request, not counted below
        for name, call in calls.items():
            client.requests_sent = 0
            call(flows)
            measured[name] = client.requests_sent
    print("\nrequests per workflow over the plain API:")
    for name, count in measured.items():
        print(f"  {name:28} {count:3}  (budget {BUDGETS[name]})")
    over = {k: (v, BUDGETS[k]) for k, v in measured.items() if v > BUDGETS[k]}
    assert not over, f"over budget (measured, budget): {over}"
