"""The workflows through the ``mspcrm`` command (click's runner), on a real database."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from mspcrm.cli.main import cli
from mspcrm.config import Settings
from mspcrm.domain.onboarding_template import TEMPLATE
from mspcrm.services.crm import build_services


def run(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--database", db_url])
    return result.exit_code, result.output


def test_template_needs_no_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["onboard", "--template"])
    assert result.exit_code == 0 and result.output == TEMPLATE


def test_onboard_dry_run_apply_rerun_and_the_tree(db_url: str, tmp_path: Path) -> None:
    services = build_services(Settings(database_url=db_url))
    manager, _ = services.admin.create_resource("Ann", "Lee", "ann.lee@msp.example")
    new_manager, _ = services.admin.create_resource("Bea", "Ng", "bea@msp.example")
    services.close()
    client_file = tmp_path / "client.yaml"
    client_file.write_text(TEMPLATE, encoding="utf-8")
    code, output = run(db_url, "onboard", str(client_file), "--dry-run")
    assert code == 0 and "Would create 12" in output, output
    code, output = run(db_url, "onboard", str(client_file), "--json")
    assert code == 0, output
    done = orjson.loads(output)
    company = done["companyID"]
    code, output = run(db_url, "onboard", str(client_file))
    assert code == 0 and "Nothing to do" in output
    code, output = run(db_url, "companies", "tree", str(company), "--contacts")
    assert code == 0 and "> Acme Dental Group LLC" in output
    assert "Dana Whitfield" in output and "Authorizes work" in output
    contacts = [s["id"] for s in done["steps"] if s["step"] == "contact"]
    code, output = run(db_url, "contacts", "deactivate", str(contacts[0]))
    assert code == 4 and "successor" in output
    code, output = run(
        db_url, "contacts", "deactivate", str(contacts[0]), "--successor", str(contacts[1])
    )
    assert code == 0 and f"Primary contact is now {contacts[1]}" in output
    code, output = run(db_url, "companies", "transfer", "--from", "ann.lee@msp.example",
                       "--to", str(new_manager), "--dry-run", "--json")  # fmt: skip
    assert code == 0 and orjson.loads(output)["counts"]["companies"] == 1
    code, output = run(db_url, "companies", "rollup", str(company), "--json")
    assert code == 0 and orjson.loads(output)["totals"]["sites"] == 2
    assert manager


def test_duplicate_stop_is_a_conflict_exit(db_url: str, tmp_path: Path) -> None:
    services = build_services(Settings(database_url=db_url))
    services.admin.create_resource("Ann", "Lee", "ann.lee@msp.example")
    services.close()
    code, _ = run(db_url, "companies", "create", "companyName=Acme Dental Group",
                  "companyType=Prospect", "webAddress=acmedental.example")  # fmt: skip
    assert code == 0
    client_file = tmp_path / "client.json"
    client_file.write_text(orjson.dumps({"company": {"companyName": "ACME Dental Group, LLC",
        "webAddress": "https://acmedental.example"}, "contact": {"firstName": "A",
        "lastName": "B", "emailAddress": "a@acmedental.example"},
        "sites": [{"name": "HQ"}]}).decode(), encoding="utf-8")  # fmt: skip
    code, output = run(db_url, "onboard", str(client_file))
    assert code == 4 and "step duplicate-check" in output


def test_audit_fail_on_and_reports(db_url: str) -> None:
    code, _ = run(db_url, "companies", "create", "companyName=GLOBEX CORPORATION",
                  "companyType=Customer", "--force")  # fmt: skip
    assert code == 0
    code, output = run(db_url, "audit", "--no-duplicates", "--json")
    assert code == 0
    assert "naming.all-caps" in {f["rule"] for f in orjson.loads(output)}
    code, _ = run(db_url, "audit", "--rule", "naming.all-caps", "--fail-on", "info")
    assert code == 5
    code, _ = run(db_url, "audit", "--rule", "naming.all-caps", "--fail-on", "warning")
    assert code == 0
    code, output = run(db_url, "report", "companies", "--by", "type", "--csv")
    assert code == 0 and output.splitlines()[0] == "key,label,count"
    assert "Customer,1" in output
    code, output = run(db_url, "report", "pipeline", "--by", "status")
    assert code == 0 and "Total" in output
