"""The ``mspcrm`` command through click's runner, on a real database."""

from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner

from mspcrm.cli.main import cli


def run(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--database", db_url])
    return result.exit_code, result.output


def test_db_upgrade(db_url: str) -> None:
    code, output = run(db_url, "db", "upgrade")
    assert code == 0 and "up to date" in output


def test_resources_create_api_user_json(db_url: str) -> None:
    code, output = run(
        db_url,
        "resources",
        "create",
        "--first-name",
        "Ann",
        "--last-name",
        "Lee",
        "--email",
        "ann@msp.example",
        "--api-user",
        "--integration-code",
        "CODE",
        "--secret",
        "s3cret",
        "--json",
    )
    assert code == 0, output
    created = orjson.loads(output)
    assert created["userName"] == "ann@msp.example" and created["secret"] == "s3cret"
    again_code, again = run(
        db_url,
        "resources",
        "create",
        "--first-name",
        "A",
        "--last-name",
        "L",
        "--email",
        "ann@msp.example",
        "--api-user",
    )
    assert again_code == 4 and "already exists" in again


def test_resources_create_validates(db_url: str) -> None:
    code, output = run(
        db_url,
        "resources",
        "create",
        "--first-name",
        "A",
        "--last-name",
        "B",
        "--email",
        "not-an-email",
    )
    assert code == 2 and "Invalid email format" in output


def test_picklists_list_and_add(db_url: str) -> None:
    code, output = run(db_url, "picklists", "list", "Company.companyType", "--json")
    assert code == 0
    labels = [v["label"] for v in orjson.loads(output)["Company.companyType"]]
    assert labels[:6] == ["Customer", "Lead", "Prospect", "Dead", "Vendor", "Partner"]
    code, output = run(db_url, "picklists", "add", "opportunity.stage", "Discovery", "--default")
    assert code == 0 and "Discovery" in output
    code, output = run(db_url, "picklists", "list", "Opportunity.stage", "--json")
    stage = orjson.loads(output)["Opportunity.stage"]
    assert [v["label"] for v in stage if v["isDefaultValue"]] == ["Discovery"]
    code, output = run(db_url, "picklists", "add", "Company.companyName", "X")
    assert code == 3 and "no picklist field" in output


def test_udfs_add_and_list(db_url: str) -> None:
    code, _ = run(db_url, "udfs", "add", "Company", "Number of Employees", "--type", "number")
    assert code == 0
    code, output = run(db_url, "udfs", "add", "Company", "number of employees")
    assert code == 4 and "already has" in output
    code, output = run(db_url, "udfs", "add", "Country", "X")
    assert code == 2 and "no user-defined fields" in output
    code, output = run(db_url, "udfs", "list", "--json")
    assert [d["name"] for d in orjson.loads(output)] == ["Number of Employees"]


def test_unknown_entity_exit_code(db_url: str) -> None:
    code, output = run(db_url, "udfs", "list", "Widgets")
    assert code == 3 and "No entity named 'Widgets'" in output


def test_resources_revoke_and_rekey(db_url: str) -> None:
    from mspcrm.config import Settings
    from mspcrm.errors import AuthenticationError
    from mspcrm.services.crm import build_services

    user = "rekey@msp.example"
    code, output = run(
        db_url, "resources", "create", "--first-name", "R", "--last-name", "K", "--email", user,
        "--api-user", "--integration-code", "OLDCODE", "--secret", "old-secret",
    )  # fmt: skip
    assert code == 0, output
    code, output = run(db_url, "resources", "new-secret", user, "--json")
    assert code == 0, output
    secret = orjson.loads(output)["secret"]
    code, output = run(db_url, "resources", "new-integration-code", user, "--json")
    assert code == 0, output
    new_code = orjson.loads(output)["apiIntegrationCode"]
    assert run(db_url, "resources", "set-security-level", user, "read-only")[0] == 0
    services = build_services(Settings(database_url=db_url))
    try:
        found = services.auth.principal(user, secret, new_code)
        assert found.security_level == "read-only"
        for old in ((user, "old-secret", new_code), (user, secret, "OLDCODE")):
            with pytest.raises(AuthenticationError):
                services.auth.principal(*old)
        code, output = run(db_url, "resources", "deactivate", user)
        assert code == 0 and "inactive" in output
        with pytest.raises(AuthenticationError) as refused:  # it was cached: revoked at once
            services.auth.principal(user, secret, new_code)
        assert refused.value.reason == "inactive"
        assert run(db_url, "resources", "deactivate", "nobody@x.example")[0] != 0
    finally:
        services.close()
