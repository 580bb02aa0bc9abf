"""The SDK's ``client.native``: duplicate checks, merges and history against our server."""

from __future__ import annotations

import pytest

from mspcrm.errors import ConflictError, NotFoundError
from mspcrm.sdk import Client


def test_duplicate_check_and_scan(sdk: Client) -> None:
    acme = sdk.companies.create(
        {"companyName": "Acme Inc.", "companyType": 1, "phone": "555-123-4567"}
    )
    sdk.companies.create(
        {"companyName": "ACME Incorporated", "companyType": 1, "phone": "5551234567"}
    )
    check = sdk.native.duplicates_check("Companies", {"companyName": "Acme, Inc"})
    assert check["verdict"] in ("matched", "ambiguous")
    assert acme in [m["id"] for m in check["matches"]]
    assert all(m["evidence"] for m in check["matches"])
    scan = sdk.native.duplicates_scan("Company")
    assert len(scan["clusters"]) == 1 and acme in scan["clusters"][0]["ids"]


def test_merge_plan_merge_undo_history(sdk: Client) -> None:
    keep = sdk.companies.create({"companyName": "Keep Ltd", "companyType": 1})
    other = sdk.companies.create({"companyName": "Other Ltd", "companyType": 1, "city": "Leeds"})
    plan = sdk.native.merge_plan("Company", keep, other)
    done = sdk.native.merge("Company", keep, other, fingerprint=plan["fingerprint"])
    assert sdk.companies.get(keep)["city"] == "Leeds"  # type: ignore[index]
    assert sdk.native.merge_get(done["mergeID"])["otherID"] == other
    history = sdk.native.history("Companies", keep)["history"]
    assert history[-1]["context"] == f"merge {done['mergeID']}"
    sdk.native.merge_undo(done["mergeID"])
    assert sdk.companies.get(keep)["city"] is None  # type: ignore[index]
    with pytest.raises(ConflictError):
        sdk.native.merge_undo(done["mergeID"])
    with pytest.raises(NotFoundError):
        sdk.native.merge_get(424242)
