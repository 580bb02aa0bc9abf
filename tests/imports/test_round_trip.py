"""Export -> import changes nothing; the native API and the SDK do the same (both engines)."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.testclient import TestClient

from mspcrm.services.crm import Services
from mspcrm.services.exports import ExportService
from mspcrm.targets import open_target
from tests.imports.helpers import run_import, write_csv


def _seed(services: Services, tmp_path: Path) -> None:
    services.admin.add_udf(_udf())
    companies = write_csv(
        tmp_path / "companies.csv",
        ["Company Name", "Company Type", "City", "Tax Exempt", "Employees"],
        [["Acme", "Customer", "Springfield", "true", "12"], ["Beta", "Lead", "", "", ""]],
    )
    contacts = write_csv(
        tmp_path / "contacts.csv",
        ["First Name", "Last Name", "Email Address", "Company", "Primary Contact"],
        [["Ann", "Lee", "ann@acme.example", "Acme", "yes"], ["Bo", "Ray", "", "Beta", ""]],
    )
    for entity, path in (("companies", companies), ("contacts", contacts)):
        result, rows = run_import(services, entity, path)
        assert result.counts["errors"] == 0, rows


def _udf():  # type: ignore[no-untyped-def]
    from mspcrm.domain.udfs import UdfDefinition

    return UdfDefinition(entity="Company", name="Employees", type="number")


def test_export_then_import_changes_nothing(services: Services, tmp_path: Path) -> None:
    _seed(services, tmp_path)
    exporter = ExportService(services.registry, services.records)
    for entity in ("companies", "contacts", "locations", "opportunities"):
        path = tmp_path / f"{entity}-export.csv"
        path.write_text("".join(exporter.stream(entity, "csv")), encoding="utf-8", newline="")
        result, rows = run_import(services, entity, path)
        assert result.counts["unchanged"] == result.rows, [
            r for r in rows if r.status != "unchanged"
        ]
    items = json.loads("".join(exporter.stream("companies", "json")))
    assert {i["companyName"] for i in items} >= {"Acme", "Beta"}
    acme = next(i for i in items if i["companyName"] == "Acme")
    assert acme["Employees"] == "12" and acme["isTaxExempt"] is True


def test_native_api_import_and_export(client: TestClient) -> None:
    body = "Company Name,Company Type\nAcme,Customer\n,Lead\n"
    headers = {"Content-Type": "text/csv"}
    dry = client.post("/api/v1/imports/companies?dryRun=true", content=body, headers=headers)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["dryRun"] is True and report["counts"]["created"] == 1
    assert [r["status"] for r in report["rows"]] == ["create", "error"]
    assert report["rows"][1]["row"] == 3
    done = client.post("/api/v1/imports/companies", content=body, headers=headers).json()
    assert done["counts"]["created"] == 1 and [r["row"] for r in done["rows"]] == [3]
    job = client.get(f"/api/v1/imports/jobs/{done['jobID']}").json()
    assert job["status"] == "done" and job["counts"]["errors"] == 1
    exported = client.get("/api/v1/exports/companies?format=csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "Acme" in exported.text
    again = client.post("/api/v1/imports/companies", content=exported.text, headers=headers)
    assert again.json()["counts"]["created"] == 0 and again.json()["counts"]["errors"] == 0
    assert client.get("/api/v1/exports/nothing").status_code == 404


def test_sdk_import_and_export(db_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["Company Name", "Company Type"], [["Acme", "Customer"]])
    with open_target(database=db_url) as target:
        native = target.client.native
        assert native.import_csv("companies", path, dry_run=True)["counts"]["created"] == 1
        done = native.import_csv("companies", path)
        assert done["counts"]["created"] == 1
        assert native.import_job(done["jobID"])["status"] == "done"
        text = native.export("companies")
        assert "Acme" in text
        out = tmp_path / "out.json"
        assert native.export_to("companies", out, format="json") > 0
        assert any(i["companyName"] == "Acme" for i in json.loads(out.read_text()))
        assert native.import_csv("companies", text)["counts"]["created"] == 0
