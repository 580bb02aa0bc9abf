"""The CLI over the SDK: the same commands on the local database and against a live server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from mspcrm.cli.common import console
from mspcrm.cli.main import cli
from tests.conftest import API_CODE, API_SECRET, API_USER, LiveServer


@pytest.fixture(autouse=True)
def wide_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables at 200 columns, so cell text is not wrapped in the assertions."""
    monkeypatch.setattr(console, "width", 200)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(params=["local", "remote"])
def target(request: pytest.FixtureRequest, db_url: str) -> list[str]:
    """Options that point a command at the local database, or at a real server process."""
    if request.param == "local":
        return ["--database", db_url]
    server: LiveServer = request.getfixturevalue("live_server")
    return [
        "--url",
        server.url,
        "--username",
        API_USER,
        "--secret",
        API_SECRET,
        "--integration-code",
        API_CODE,
    ]


def created_id(result: Result) -> int:
    assert result.exit_code == 0, result.output
    return int(json.loads(result.output)["itemId"])


def test_create_search_get_update(target: list[str]) -> None:
    company = created_id(
        run(
            "companies",
            "create",
            "companyName=Acme Widgets",
            "companyType=Customer",
            "city=Springfield",
            "--json",
            *target,
        )
    )
    found = run("companies", "search", "widgets", "--json", *target)
    assert [c["id"] for c in json.loads(found.output)] == [company]
    assert run("companies", "search", str(company), "--json", *target).exit_code == 0
    table = run("companies", "search", "acme", *target).output
    assert "Acme Widgets" in table and "Customer" in table  # the picklist label, for people
    assert run("companies", "update", str(company), "phone=555-0100", *target).exit_code == 0
    item = json.loads(run("companies", "get", str(company), "--json", *target).output)
    assert item["phone"] == "555-0100" and item["companyType"] == 1
    csv = run("companies", "get", str(company), "--csv", *target).output.splitlines()
    assert csv[0].startswith("id,") and csv[1].startswith(f"{company},")


def test_create_refuses_a_likely_duplicate_unless_forced(target: list[str]) -> None:
    created_id(
        run("companies", "create", "companyName=Globex Inc", "companyType=1", "--json", *target)
    )
    refused = run(
        "companies", "create", "companyName=GLOBEX, Incorporated", "companyType=1", *target
    )
    assert refused.exit_code == 4
    assert "Globex Inc" in refused.output and "name_exact_key" in refused.output
    forced = run(
        "companies",
        "create",
        "companyName=GLOBEX, Incorporated",
        "companyType=1",
        "--force",
        "--json",
        *target,
    )
    assert forced.exit_code == 0


def test_contacts_by_full_name_and_email(target: list[str]) -> None:
    company = created_id(
        run("companies", "create", "companyName=Initech", "companyType=1", "--json", *target)
    )
    contact = created_id(
        run(
            "contacts",
            "create",
            f"companyID={company}",
            "firstName=Peter",
            "lastName=Gibbons",
            "emailAddress=peter@initech.example",
            "--json",
            *target,
        )
    )
    for text in ("peter gibbons", "peter@initech.example", "Gibb"):
        found = run("contacts", "search", text, "--json", *target)
        assert [c["id"] for c in json.loads(found.output)] == [contact], text
    missing = run("contacts", "search", "nobody here", *target)
    assert missing.exit_code == 3


def test_describe_and_bad_input(target: list[str]) -> None:
    described = run("companies", "describe", *target).output
    assert "companyType" in described and "Customer" in described
    bad = run("companies", "create", "companyName", *target)
    assert bad.exit_code == 2 and "FIELD=VALUE" in bad.output
    bad_label = run("companies", "create", "companyName=X", "companyType=Nonsense", *target)
    assert bad_label.exit_code == 2


def test_duplicates_merge_undo_history(target: list[str]) -> None:
    keep = created_id(
        run("companies", "create", "companyName=Umbrella Corp", "companyType=1", "--json", *target)
    )
    other = created_id(
        run(
            "companies",
            "create",
            "companyName=Umbrella Corporation",
            "companyType=1",
            "phone=555-0199",
            "--force",
            "--json",
            *target,
        )
    )
    check = run("duplicates", "check", "companies", "--name", "Umbrella", "--json", *target)
    assert check.exit_code == 4 and {m["id"] for m in json.loads(check.output)["matches"]} >= {keep}
    scan = json.loads(run("duplicates", "scan", "companies", "--json", *target).output)
    assert [sorted(c["ids"]) for c in scan["clusters"]] == [[keep, other]]
    plan = run("merge", "companies", str(keep), str(other), "--dry-run", "--json", *target)
    assert json.loads(plan.output)["fills"][0]["field"] == "phone"
    done = run("merge", "companies", str(keep), str(other), "--yes", *target)
    assert done.exit_code == 0, done.output
    merge_id = int(done.output.split("merge ")[1].split()[0])
    history = json.loads(run("history", "companies", str(keep), "--json", *target).output)
    assert history["history"][-1]["context"] == f"merge {merge_id}"
    assert run("merge", "undo", str(merge_id), *target).exit_code == 0
    again = run("merge", "undo", str(merge_id), *target)
    assert again.exit_code == 4 and "already undone" in again.output


def test_profiles(tmp_path: object, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSPCRM_PROFILES_FILE", f"{tmp_path}/profiles.json")
    assert run("profiles", "add", "office", "--database", db_url).exit_code == 0
    created_id(
        run(
            "companies",
            "create",
            "companyName=Profiled",
            "companyType=1",
            "--json",
            "--profile",
            "office",
        )
    )
    listed = run("profiles", "list").output
    assert "office" in listed
    incomplete = CliRunner().invoke(cli, ["profiles", "add", "x", "--url", "http://h"])
    assert incomplete.exit_code == 2
    assert run("profiles", "remove", "office").exit_code == 0
