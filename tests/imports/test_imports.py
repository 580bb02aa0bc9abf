"""Import: column aliases, picklist labels, natural keys, bad rows, dry runs (both engines)."""

from __future__ import annotations

import csv
from pathlib import Path

from mspcrm.domain.entities import COMPANY, CONTACT
from mspcrm.services.crm import Services
from mspcrm.store import repository
from tests.imports.helpers import count, run_import, write_csv

TEMPLATE = ["Company Name", "Company Type", "Address 1", "City", "Postal Code", "Web", "Phone"]


def _companies(tmp_path: Path, n: int = 3) -> Path:
    rows = [
        [
            f"Acme {i} Ltd",
            "Customer",
            f"{i} Main St",
            "Springfield",
            "12345",
            f"acme{i}.example",
            "",
        ]
        for i in range(n)
    ]
    return write_csv(tmp_path / "companies.csv", TEMPLATE, rows)


def test_template_columns_and_picklist_labels(services: Services, tmp_path: Path) -> None:
    result, rows = run_import(services, "companies", _companies(tmp_path))
    assert result.counts["created"] == 3 and result.counts["errors"] == 0
    with services.db.read() as conn:
        record = repository.get(conn, COMPANY, rows[0].id or 0)
    assert record is not None
    assert record["companyName"] == "Acme 0 Ltd"
    assert record["companyType"] == 1  # "Customer"
    assert record["address1"] == "0 Main St" and record["postalCode"] == "12345"
    assert record["webAddress"] == "acme0.example"
    assert record["phone"] is None  # a blank cell is "not given"


def test_wire_names_in_any_case_and_values(services: Services, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        ["COMPANYNAME", "companytype", "isActive", "Country"],
        [["Beta GmbH", "3", "false", "Germany"]],
    )
    result, rows = run_import(services, "Company", path)
    assert result.counts["created"] == 1, rows
    with services.db.read() as conn:
        record = repository.get(conn, COMPANY, rows[0].id or 0)
    assert record is not None
    assert record["companyType"] == 3 and record["isActive"] is False
    assert record["countryID"] is not None


def test_natural_key_update_unchanged_and_skip(services: Services, tmp_path: Path) -> None:
    run_import(services, "companies", _companies(tmp_path))
    again = write_csv(
        tmp_path / "again.csv",
        ["company name", "City"],
        [["ACME  0 ltd", "Shelbyville"], ["Acme 1 Ltd", "Springfield"], ["New Co", ""]],
    )
    _, rows = run_import(services, "companies", again, dry_run=True)
    assert [r.status for r in rows] == ["update", "unchanged", "error"]  # New Co: no type
    assert rows[0].changes == ("city",)
    _, rows = run_import(services, "companies", again, update_existing=False)
    assert [r.status for r in rows] == ["skipped", "skipped", "error"]


def test_dry_run_writes_nothing(services: Services, tmp_path: Path) -> None:
    before = (count(services, "Company"), count(services, "CompanyLocation"))
    result, rows = run_import(services, "companies", _companies(tmp_path, 50), dry_run=True)
    assert result.counts["created"] == 50 and result.job_id is None
    assert {r.status for r in rows} == {"create"}
    assert (count(services, "Company"), count(services, "CompanyLocation")) == before


def test_duplicate_name_in_one_file_is_matched_not_doubled(
    services: Services, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "d.csv", ["Company Name", "Company Type"], [["Gamma", "Lead"], ["gamma", "Lead"]]
    )
    _, rows = run_import(services, "companies", path)
    assert [r.status for r in rows] == ["create", "unchanged"]  # matched, not renamed


def test_malformed_rows_have_row_numbers_and_rejects(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    lines = [
        b"Company Name,Company Type,Phone",
        b"Good One,Customer,555",
        b",Customer,555",  # row 3: missing name
        b"Bad Label,Customr,555",  # row 4: unknown label
        b"Short row",  # row 5: wrong column count
        b"Caf\xff Broken,Customer,555",  # row 6: not UTF-8
        b"Good Two,Lead,",
    ]
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n")  # with a BOM
    rejects = tmp_path / "rejects.csv"
    result, rows = run_import(services, "companies", path, rejects=rejects, batch_size=2)
    assert result.counts["created"] == 2 and result.counts["errors"] == 4
    errors = {r.row: r.errors[0] for r in rows if r.status == "error"}
    assert set(errors) == {3, 4, 5, 6}
    assert "CompanyName is required" in errors[3]
    assert "Customr" in errors[4] and "Customer" in errors[4]
    assert "header has 3 columns" in errors[5]
    assert "UTF-8" in errors[6]
    data = rejects.read_bytes()
    assert b"Caf\xff Broken" in data  # the row as it was
    with rejects.open(encoding="utf-8", errors="replace", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["Company Name", "Company Type", "Phone", "error"]
    assert [row[-1].split(":")[0] for row in table[1:]] == ["row 3", "row 4", "row 5", "row 6"]


def test_contacts_by_company_name_email_key_and_bad_email(
    services: Services, tmp_path: Path
) -> None:
    run_import(services, "companies", _companies(tmp_path))
    header = ["First Name", "Last Name", "Email Address", "Company", "Title"]
    path = write_csv(
        tmp_path / "contacts.csv",
        header,
        [
            ["Ann", "Lee", "ann@acme0.example", "acme 0 LTD", "CTO"],
            ["Bob", "Ray", "not-an-email", "Acme 1 Ltd", ""],
            ["Cy", "Fox", "cy@x.example", "Nobody Inc", ""],
        ],
    )
    _, rows = run_import(services, "contacts", path)
    assert [r.status for r in rows] == ["create", "error", "error"]
    assert "not-an-email" in rows[1].errors[0]
    assert "Nobody Inc" in rows[2].errors[0]
    with services.db.read() as conn:
        ann = repository.get(conn, CONTACT, rows[0].id or 0)
        acme0 = repository.find_ids(conn, COMPANY, {"companyName": "Acme 0 Ltd"})
    assert ann is not None and ann["companyID"] == acme0[0]
    update = write_csv(
        tmp_path / "c2.csv", header, [["Ann", "Lee", "ANN@acme0.example", "Acme 0 Ltd", "CEO"]]
    )
    _, rows = run_import(services, "contacts", update)
    assert rows[0].status == "update" and rows[0].changes == ("title",)


def test_locations_and_opportunities_by_company(services: Services, tmp_path: Path) -> None:
    run_import(services, "companies", _companies(tmp_path, 1))
    sites = write_csv(
        tmp_path / "sites.csv",
        ["Company", "Site Name", "City", "Primary Location"],
        [
            ["Acme 0 Ltd", "Warehouse", "Ogdenville", "no"],
            ["Acme 0 Ltd", "Primary Location", "", ""],
        ],
    )
    _, rows = run_import(services, "locations", sites)
    assert [r.status for r in rows] == ["create", "unchanged"]
    deals = write_csv(
        tmp_path / "deals.csv",
        [
            "Company",
            "Title",
            "Amount",
            "Stage",
            "Status",
            "Projected Close Date",
            "ownerResourceID",
        ],
        [["Acme 0 Ltd", "Backup", "1200.50", "Proposal", "Active", "2030-01-31", ""]],
    )
    _, rows = run_import(services, "opportunities", deals)
    assert rows[0].status == "error" and "OwnerResourceID is required" in rows[0].errors[0]
    resource_id, _ = services.admin.create_resource("Ann", "Lee", "ann@msp.example")
    deals.write_text(deals.read_text().replace(",\n", f",{resource_id}\n"))
    _, rows = run_import(services, "opportunities", deals)
    assert rows[0].status == "create", rows
    _, rows = run_import(services, "opportunities", deals)
    assert rows[0].status == "unchanged"
