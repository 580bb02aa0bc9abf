"""The bulk path writes exactly what the one-row-at-a-time write path writes (both engines).

The same file is imported into two fresh databases, once with ``bulk=False`` (every row
through ``RecordService``) and once with the bulk path; every row's result, every record,
every history entry and every duplicate-check key must be the same, timestamps aside.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mspcrm.config import Settings
from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION, CONTACT, OPPORTUNITY
from mspcrm.domain.entity import snake
from mspcrm.domain.fields import Default, Maintained
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.services.crm import Services, build_services
from mspcrm.services.import_bulk import bulk_rules
from mspcrm.services.import_run import ImportRun
from mspcrm.store.schema import ENTITY_TABLES, entity_history, import_jobs, match_keys
from tests.conftest import _reset_postgres
from tests.imports.helpers import ACTOR, run_import, write_csv

NOW = (Default.NOW, Default.TODAY)
MOMENTS = [  # fields stamped with the time of the write: left out of the comparison
    f for e in (COMPANY, COMPANY_LOCATION, CONTACT, OPPORTUNITY) for f in e.fields
    if f.maintained in (Maintained.CREATED_AT, Maintained.MODIFIED_AT) or f.default in NOW
]  # fmt: skip
STAMPS = {snake(f.name) for f in MOMENTS}
STAMP_FIELDS = {f.name for f in MOMENTS}
HEADER = [
    "id",
    "Company Name",
    "Company Type",
    "Address 1",
    "City",
    "Phone",
    "Web",
    "Country",
    "Tier",
    "Account Manager",
    "Parent Company",
    "Active",
]


def _rows() -> list[list[str]]:
    rows = [
        [
            "",
            f"Company {i:03d}  Ltd",
            ("Customer", "Lead", "2")[i % 3],
            f"{i} Main St" if i % 4 else "",
            "Springfield" if i % 5 else "",
            f"(512) 453-{i:04d}" if i % 2 else "",
            f"www.company{i}.example" if i % 3 else "",
            ("United States", "Germany", "", "GB")[i % 4],
            ("Gold", "", "Silver")[i % 3],
            "ann@msp.example" if i % 7 == 0 else "",
            "",
            ("", "yes", "no")[i % 3],
        ]
        for i in range(40)
    ]
    blank = [""] * len(HEADER)
    extra = [
        ["", "company 001 LTD", "Customer", "", "Shelbyville"],  # in-file duplicate: update
        ["", "COMPANY 002 Ltd", "Lead"],  # in-file duplicate: unchanged
        ["", "Existing Co", "Customer", "1 Old Road"],  # stored, unchanged
        ["", "existing  co", "Customer", "", "New Town"],  # stored, update (moves the site)
        ["", "", "Customer"],  # no name
        ["", "Bad Type Co", "Customr"],  # unknown label
        ["", "Nowhere Co", "Customer", "", "", "", "", "Atlantis"],  # unknown country
        ["", "Long" * 40, "Customer"],  # too long
        ["", "Child Co", "Customer", "", "", "", "", "", "", "", "Company 003 Ltd"],
        ["", "Orphan Co", "Customer", "", "", "", "", "", "", "", "No Such Parent"],
        ["", "Bad Owner Co", "Customer", "", "", "", "", "", "", "nobody@msp.example"],
        ["", "Tier Co", "Customer", "", "", "", "", "", "Platinum"],  # not a UDF value
        ["EXISTING", "Renamed Co", "Customer"],  # id column: renames the stored company
        ["", "Renamed Co", "Lead"],  # the name the row above gave: an update
        ["", "Existing Co", "Customer"],  # the old name is free again: a create
        ["", "Same Co", "Customer", "", "", "", "", "", "", "", "", "true"],
    ]
    rows += [(r + blank)[: len(HEADER)] for r in extra]
    rows.append(["short", "row"])
    rows += [["", f"After {i}", "Customer", "", "", f"555-01{i:02d}"] + [""] * 6 for i in range(5)]
    return rows


def _seed(services: Services) -> int:
    services.admin.add_udf(
        UdfDefinition(
            entity="Company",
            name="Tier",
            type="picklist",
            picklist_values=("Gold", "Silver"),
            default_value="Silver",
        )
    )
    services.admin.create_resource("Ann", "Lee", "ann@msp.example")
    existing = services.records.create(
        COMPANY,
        {"companyName": "Existing Co", "companyType": 1, "address1": "1 Old Road"},
        ACTOR,
    )
    services.records.create(COMPANY, {"companyName": "Same Co", "companyType": 1}, ACTOR)
    return existing


def _snapshot(services: Services, tables: dict[str, sa.Table] | None = None) -> dict[str, Any]:
    tables = tables or {
        "companies": ENTITY_TABLES["Company"],
        "locations": ENTITY_TABLES["CompanyLocation"],
        "history": entity_history,
        "keys": match_keys,
    }
    out: dict[str, Any] = {}
    with services.db.read() as conn:
        for name, table in tables.items():
            columns = [c for c in table.c if c.name not in STAMPS | {"at"}]
            order = [c for c in table.c if c.name in ("id", "entity", "key", "record_id")]
            rows = conn.execute(sa.select(*columns).order_by(*order))
            out[name] = [_plain(dict(row._mapping)) for row in rows]
    return out


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    changes = row.get("changes")
    if isinstance(changes, dict):
        row["changes"] = {k: v for k, v in changes.items() if k not in STAMP_FIELDS}
    return row


def _import(
    services: Services, path: Path, entity: str = "companies", **options: Any
) -> tuple[Any, Any, Any]:
    result, rows = run_import(services, entity, path, batch_size=25, **options)
    return result.counts, [r.to_wire() for r in rows], _snapshot(services)


@pytest.fixture
def fresh(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Services]]:
    """A new, empty database at each call (the previous one's services are closed)."""
    opened: list[Services] = []

    def make(compat: str = "default") -> Services:
        for services in opened:
            services.close()
        if db_url.startswith("postgresql"):
            _reset_postgres(db_url)
            url = db_url
        else:
            url = str(tmp_path / f"fresh{len(opened)}.db")
            shutil.copy(request.getfixturevalue("sqlite_template"), url)
        services = build_services(Settings(database_url=url, compat=compat))
        opened.append(services)
        return services

    yield make
    for services in opened:
        services.close()


@pytest.mark.parametrize("compat", ["default", "autotask"])
def test_bulk_writes_what_the_write_path_writes(
    fresh: Callable[..., Services], tmp_path: Path, compat: str
) -> None:
    outcomes = []
    for bulk in (False, True):
        services = fresh(compat)
        existing = _seed(services)
        rows = [[str(existing) if r[0] == "EXISTING" else r[0], *r[1:]] for r in _rows()]
        path = write_csv(tmp_path / f"companies-{bulk}.csv", HEADER, rows)
        dry = _import(services, path, dry_run=True, bulk=bulk)
        done = _import(services, path, bulk=bulk)
        again = _import(services, path, bulk=bulk)
        outcomes.append((dry[:2], done, again))
    slow, fast = outcomes
    assert fast[1][1] == slow[1][1]  # every row's result
    statuses = {r["status"] for r in fast[1][1]}
    assert statuses == {"create", "update", "unchanged", "error"}
    for name in ("companies", "locations", "history", "keys"):
        assert fast[1][2][name] == slow[1][2][name], name
    assert fast == slow
    assert fast[0][0] == fast[1][0]  # the dry run said what the import did


def _opportunities(services: Services, tmp_path: Path, bulk: bool) -> tuple[Any, Any, Any]:
    owner = services.admin.create_resource("Bo", "Ray", "bo@msp.example")[0]
    path = write_csv(
        tmp_path / f"opportunities-{bulk}.csv",
        ["Company", "Title", "Amount", "Stage", "Status", "Projected Close Date", "Owner"],
        [
            ["Company 001 Ltd", "Backup", "1200.50", "Proposal", "Active", "2030-01-31", ""],
            ["company 001 ltd", "backup", "1200.5", "Proposal", "Active", "2030-01-31", ""],
            ["Company 002 Ltd", "Firewall", "", "", "", "2030-02-01", "bo@msp.example"],
            ["Company 002 Ltd", "Firewall", "99", "", "", "2030-02-01", "bo@msp.example"],
            ["Nobody Ltd", "Backup", "", "", "", "2030-02-01", ""],
            ["Company 003 Ltd", "", "", "", "", "2030-02-01", ""],
            *[[f"Company {i:03d} Ltd", "Deal", "", "", "", "2031-01-01", ""] for i in range(9)],
        ],
    )
    result, rows = run_import(services, "opportunities", path, batch_size=4, bulk=bulk)
    with services.db.read() as conn:
        table = ENTITY_TABLES["Opportunity"]
        columns = [c for c in table.c if c.name not in STAMPS]
        stored = [dict(r._mapping) for r in conn.execute(sa.select(*columns).order_by(table.c.id))]
    return result.counts, [r.to_wire() for r in rows], (owner, stored)


def _both_ways(
    fresh: Callable[..., Services],
    tmp_path: Path,
    then: Callable[[Services, Path, bool], tuple[Any, Any, Any]],
) -> list[tuple[Any, Any, Any]]:
    """Ten companies, then ``then`` with the write path alone and with the bulk path."""
    outcomes = []
    for bulk in (False, True):
        services = fresh()
        _seed(services)
        path = write_csv(tmp_path / f"c-{bulk}.csv", HEADER, _rows()[:10])
        run_import(services, "companies", path)
        outcomes.append(then(services, tmp_path, bulk))
    return outcomes


def test_bulk_opportunities_as_the_write_path(
    fresh: Callable[..., Services], tmp_path: Path
) -> None:
    slow, fast = _both_ways(fresh, tmp_path, _opportunities)
    assert fast == slow
    assert {r["status"] for r in fast[1]} == {"create", "update", "error"}


CONTACT_HEADER = [
    "First Name", "Last Name", "Email Address", "Company", "Title", "Mobile", "Primary Contact",
    "Site Name", "Active",
]  # fmt: skip


def _contacts(services: Services, tmp_path: Path, bulk: bool) -> tuple[Any, Any, Any]:
    services.records.create(
        CONTACT,
        {"firstName": "Old", "lastName": "Timer", "emailAddress": "old@c1.example",
         "companyID": _company_id(services, "Company 001 Ltd")},
        ACTOR,
    )  # fmt: skip
    rows = [
        [f"First{i}", f"Last{i}", f"p{i}@c{i % 4}.example" if i % 3 else "",
         f"Company {i % 4:03d} Ltd", "CTO" if i % 2 else "", f"+1 512 555 {i:04d}", "", "", ""]
        for i in range(30)
    ]  # fmt: skip
    rows += [
        ["Ann", "Lee", "ANN@c1.example", "company 001 ltd", "", "", "yes", "", ""],
        ["Ann", "Lee", "ann@c1.example", "Company 001 Ltd", "CEO", "", "", "", ""],  # update
        ["First3", "Last3", "", "Company 003 Ltd", "", "", "", "", "no"],  # by name: update
        ["Old", "Timer", "old@c1.example", "Company 001 Ltd", "", "", "", "", ""],  # unchanged
        ["Site", "Person", "", "Company 002 Ltd", "", "", "", "Primary Location", ""],
        ["Bad", "Email", "not-an-email", "Company 002 Ltd", "", "", "", "", ""],
        ["No", "Company", "", "Nobody Ltd", "", "", "", "", ""],
        ["", "", "", "Company 002 Ltd", "", "", "", "", ""],
        ["Two", "Primaries", "", "Company 001 Ltd", "", "", "true", "", ""],
    ]
    path = write_csv(tmp_path / f"contacts-{bulk}.csv", CONTACT_HEADER, rows)
    counts, results, _ = _import(services, path, entity="contacts", bulk=bulk)
    tables = {"contacts": ENTITY_TABLES["Contact"], "history": entity_history, "keys": match_keys}
    return counts, results, _snapshot(services, tables)


def _company_id(services: Services, name: str) -> int:
    with services.db.read() as conn:
        table = ENTITY_TABLES["Company"]
        found = conn.execute(sa.select(table.c.id).where(table.c.company_name == name))
        return int(found.scalar_one())


def test_bulk_contacts_as_the_write_path(fresh: Callable[..., Services], tmp_path: Path) -> None:
    slow, fast = _both_ways(fresh, tmp_path, _contacts)
    assert fast[1] == slow[1]
    for name in ("contacts", "history", "keys"):
        assert fast[2][name] == slow[2][name], name
    assert {r["status"] for r in fast[1]} == {"create", "update", "unchanged", "error"}


def test_plain_creates_do_not_take_the_write_path(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of new companies is written set-wise: only the rows that need it go through
    ``RecordService`` one by one."""
    calls: list[int] = []
    original = ImportRun._row

    def counted(self: ImportRun, conn: Any, number: int, cells: list[str], mapper: Any) -> Any:
        calls.append(number)
        return original(self, conn, number, cells, mapper)

    monkeypatch.setattr(ImportRun, "_row", counted)
    rows = [[f"Plain {i}", "Customer", f"{i} Road"] for i in range(300)]
    rows[100] = ["plain 5", "Customer", "5 Road"]  # the same company again: one by one
    rows[200] = ["Plain Bad", "Customr", ""]  # an error: one by one
    path = write_csv(tmp_path / "c.csv", ["Company Name", "Company Type", "Address 1"], rows)
    result, _ = run_import(services, "companies", path, batch_size=120)
    assert result.counts["created"] == 298 and result.counts["unchanged"] == 1
    assert calls == [102, 202]
    calls.clear()
    people = [[f"P{i}", "Doe", f"p{i}@x.example", f"Plain {i % 7}", ""] for i in range(200)]
    people[50][4] = "yes"  # a primary contact: one by one (it changes other contacts)
    header = ["First Name", "Last Name", "Email", "Company", "Primary Contact"]
    result, _ = run_import(services, "contacts", write_csv(tmp_path / "p.csv", header, people))
    assert result.counts["created"] == 200 and calls == [52]


def test_which_entities_take_the_bulk_path() -> None:
    assert bulk_rules(COMPANY) is not None
    assert bulk_rules(OPPORTUNITY) is not None
    assert bulk_rules(CONTACT) is not None
    assert bulk_rules(COMPANY_LOCATION) is None  # one primary location


SQLITE_REFUSE = """
CREATE TRIGGER refuse_flush_3 BEFORE INSERT ON companies
WHEN NEW.company_name = 'Flush 3' BEGIN SELECT RAISE(ABORT, 'Flush 3 refused'); END
"""
PG_REFUSE = """
CREATE FUNCTION refuse_flush_3() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.company_name = 'Flush 3' THEN
    RAISE EXCEPTION 'Flush 3 refused' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refuse_flush_3 BEFORE INSERT ON companies
FOR EACH ROW EXECUTE FUNCTION refuse_flush_3();
"""
PG_ALLOW = "DROP TRIGGER refuse_flush_3 ON companies; DROP FUNCTION refuse_flush_3();"


def test_a_refused_flush_is_retried_row_by_row(services: Services, tmp_path: Path) -> None:
    """When the database refuses a set-wise insert, each row gets its own result."""
    postgres = services.db.dialect == "postgresql"
    path = write_csv(
        tmp_path / "c.csv",
        ["Company Name", "Company Type", "City"],
        [[f"Flush {i}", "Customer", "Town"] for i in range(6)],
    )
    before = _counts(services)
    with services.db.write() as conn:
        conn.exec_driver_sql(PG_REFUSE if postgres else SQLITE_REFUSE)
    try:
        result, rows = run_import(services, "companies", path)
    finally:
        with services.db.write() as conn:
            conn.exec_driver_sql(PG_ALLOW if postgres else "DROP TRIGGER refuse_flush_3")
    assert [r.status for r in rows] == ["create"] * 3 + ["error"] + ["create"] * 2
    assert "refused by the database" in rows[3].errors[0] and "Flush 3" in rows[3].errors[0]
    assert result.counts["created"] == 5
    with services.db.read() as conn:
        created = conn.execute(sa.select(import_jobs.c.created)).scalars().all()
    assert created == [5]
    assert [a - b for a, b in zip(_counts(services), before, strict=True)] == [5, 5, 10, 5]


def _counts(services: Services) -> list[int]:
    """Companies, locations, history entries, companies with match keys."""
    statements = [
        sa.select(sa.func.count()).select_from(ENTITY_TABLES["Company"]),
        sa.select(sa.func.count()).select_from(ENTITY_TABLES["CompanyLocation"]),
        sa.select(sa.func.count()).select_from(entity_history),
        sa.select(sa.func.count(sa.distinct(match_keys.c.record_id))).where(
            match_keys.c.entity == "Company"
        ),
    ]
    with services.db.read() as conn:
        return [int(conn.execute(s).scalar_one()) for s in statements]
