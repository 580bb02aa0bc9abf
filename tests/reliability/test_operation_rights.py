"""Import and export are rights of their own; protected records and hidden existence.

Issue 18: a level with read rights on Countries alone exported every company; a ``*=r``
level imported companies; company 0 could be renamed over REST; a child route moved a
contact to another company; ``/Companies/{id}/Contacts`` told a contacts-only level which
companies exist; the merge plan showed location moves to a level without location rights.
"""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from mspcrm.cli.main import cli
from mspcrm.services.context import Actor
from mspcrm.services.permissions import Right
from tests.conftest import add_api_user
from tests.reliability.conftest import App

BASE = "/ATServicesRest/V1.0"
CSV = "companyName,companyType,phone\nRights Co,1,555-0100\n"


def level_user(
    app: App, name: str, rights: dict[str, str], operations: tuple[str, ...] = ()
) -> Any:
    app.services.permissions.define(name, rights, operations=operations)
    return add_api_user(app.services, username=f"{name}@x.example", security_level=name).headers


def company(app: App, name: str, **extra: Any) -> int:
    response = app.client.post(
        f"{BASE}/Companies", json={"companyName": name, "companyType": 1, **extra}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["itemId"])


def companies(app: App) -> int:
    return int(app.client.post(f"{BASE}/Companies/query/count", json={}).json()["queryCount"])


def test_export_needs_the_export_right_and_read_on_the_entity(make_app: Any) -> None:
    app: App = make_app()
    company(app, "Exported Co")
    countries = level_user(app, "countries", {"Country": "r"}, ("export",))
    star_read = level_user(app, "star-read", {"*": "r"})
    exporter = level_user(app, "exporter", {"*": "r"}, ("export",))
    read_only = add_api_user(app.services, username="ro@x.example", security_level="read-only")
    for headers in (countries, star_read, read_only.headers):
        response = app.client.get("/api/v1/exports/companies", headers=headers)
        assert response.status_code == 403, response.text
        assert "permissions to" in response.json()["errors"][0]
    allowed = app.client.get("/api/v1/exports/companies", headers=exporter)
    assert allowed.status_code == 200 and "Exported Co" in allowed.text
    assert "Exported Co" in app.client.get("/api/v1/exports/companies").text  # full


def test_import_needs_the_import_right_and_create_update_on_the_entity(make_app: Any) -> None:
    app: App = make_app()
    star_read = level_user(app, "star-read", {"*": "r"})
    crud_only = level_user(app, "crud-only", {"*": "crud"})
    read_import = level_user(app, "read-import", {"*": "r"}, ("import",))
    importer = level_user(app, "importer", {"Company": "cru", "*": "r"}, ("import",))
    before = companies(app)
    for headers in (star_read, crud_only, read_import):
        response = app.client.post("/api/v1/imports/companies", content=CSV, headers=headers)
        assert response.status_code == 403, response.text
    assert companies(app) == before
    for headers in (star_read, crud_only):  # a dry run needs the import right too
        dry = app.client.post("/api/v1/imports/companies?dryRun=true", content=CSV, headers=headers)
        assert dry.status_code == 403, dry.text
    dry = app.client.post("/api/v1/imports/companies?dryRun=true", content=CSV, headers=read_import)
    assert dry.status_code == 200 and dry.json()["counts"]["created"] == 1
    assert companies(app) == before
    done = app.client.post("/api/v1/imports/companies", content=CSV, headers=importer)
    assert done.status_code == 200 and done.json()["counts"]["created"] == 1, done.text
    assert companies(app) == before + 1


def test_levels_keep_their_operations_and_the_cli_grants_them(make_app: Any, db_url: str) -> None:
    app: App = make_app()
    runner = CliRunner()
    added = runner.invoke(
        cli,
        ["security-levels", "add", "ops", "--entity", "*", "--rights", "r",
         "--operations", "export,import", "--database", db_url],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "operations: export, import" in added.output
    listed = runner.invoke(cli, ["security-levels", "list", "--json", "--database", db_url])
    levels = {lv["name"]: lv for lv in json.loads(listed.output)}
    assert levels["ops"]["operations"] == ["export", "import"]
    assert levels["full"]["operations"] == ["export", "import"]
    assert levels["read-only"]["operations"] == []
    bad = runner.invoke(
        cli,
        ["security-levels", "add", "bad", "--operations", "delete-all", "--database", db_url],
    )
    assert bad.exit_code != 0 and "delete-all" in bad.output
    level = app.services.permissions.level("ops")
    assert level.operations == {Right.IMPORT, Right.EXPORT}


def test_company_zero_is_protected_but_for_the_administrator_level(make_app: Any) -> None:
    app: App = make_app()
    editor = level_user(app, "company-editor", {"Company": "cru", "*": "r"})
    for change in ({"companyName": "Renamed"}, {"companyType": 2}, {"isActive": False}):
        response = app.client.patch(f"{BASE}/Companies", json={"id": 0, **change}, headers=editor)
        assert response.status_code == 403, response.text
        assert "Company 0" in response.json()["errors"][0]
        assert next(iter(change)) in response.json()["errors"][0]
    name = app.client.get(f"{BASE}/Companies/0").json()["item"]["companyName"]
    phone = app.client.patch(f"{BASE}/Companies", json={"id": 0, "phone": "1"}, headers=editor)
    assert phone.status_code == 200, phone.text  # other fields stay editable
    same = app.client.patch(
        f"{BASE}/Companies", json={"id": 0, "companyName": name}, headers=editor
    )
    assert same.status_code == 200, same.text  # its own name again changes nothing
    full = app.client.patch(f"{BASE}/Companies", json={"id": 0, "companyName": "Our MSP"})
    assert full.status_code == 200, full.text
    # the same rule in the service every surface ends in (CLI, agent, imports)
    records, entity = app.services.records, app.services.registry.by_name("Company")
    worker = Actor(None, "cli", security_level="company-editor")
    try:
        records.update(entity, {"id": 0, "companyName": "Sneaky"}, worker)
        raise AssertionError("company 0 renamed through the services")
    except Exception as exc:
        assert "Company 0" in str(exc)
    merge = app.client.post(
        "/api/v1/merges", json={"entity": "Company", "keepID": company(app, "K"), "otherID": 0}
    )
    assert merge.status_code == 400 and "Company 0" in merge.text


def test_company_zero_cannot_be_retyped_or_deactivated_by_import(make_app: Any) -> None:
    app: App = make_app()
    importer = level_user(app, "importer", {"*": "cru"}, ("import",))
    before = app.client.get(f"{BASE}/Companies/0").json()["item"]
    body = f"companyName,companyType,isActive\n{before['companyName']},2,false\n"
    result = app.client.post("/api/v1/imports/companies", content=body, headers=importer).json()
    assert result["counts"]["errors"] == 1, result
    assert "Company 0" in result["rows"][0]["errors"][0]
    after = app.client.get(f"{BASE}/Companies/0").json()["item"]
    assert (after["companyType"], after["isActive"]) == (before["companyType"], True)


def test_a_child_route_moves_its_child_only_when_the_body_says_so(make_app: Any) -> None:
    """Autotask writes contacts only under their company, so a body naming another
    companyID is how clients move one (and it is in the history); a PUT that names no
    companyID keeps the parent of the URL."""
    app: App = make_app()
    first, second = company(app, "First Co"), company(app, "Second Co")
    contact = app.client.post(
        f"{BASE}/Companies/{first}/Contacts",
        json={"firstName": "Ann", "lastName": "Lee", "isActive": True},
    ).json()["itemId"]
    kept = app.client.put(
        f"{BASE}/Companies/{first}/Contacts",
        json={"id": contact, "firstName": "Ann", "lastName": "Lee", "isActive": True},
    )
    assert kept.status_code == 200, kept.text
    assert app.client.get(f"{BASE}/Contacts/{contact}").json()["item"]["companyID"] == first
    moved = app.client.patch(
        f"{BASE}/Companies/{first}/Contacts", json={"id": contact, "companyID": second}
    )
    assert moved.status_code == 200, moved.text
    assert app.client.get(f"{BASE}/Contacts/{contact}").json()["item"]["companyID"] == second
    elsewhere = app.client.patch(
        f"{BASE}/Companies/{first}/Contacts", json={"id": contact, "title": "X"}
    )
    assert elsewhere.status_code == 404  # no longer under the first company


def test_child_routes_do_not_reveal_which_parents_exist(make_app: Any) -> None:
    app: App = make_app()
    existing = company(app, "Hidden Co")
    contacts_only = level_user(app, "contacts-only", {"Contact": "crud"})
    answers = {
        app.client.get(f"{BASE}/Companies/{cid}/Contacts", headers=contacts_only).status_code
        for cid in (existing, 999_999)
    }
    assert answers == {403}
    for cid in (existing, 999_999):
        posted = app.client.post(
            f"{BASE}/Companies/{cid}/Contacts",
            json={"firstName": "A", "lastName": "B"},
            headers=contacts_only,
        )
        assert posted.status_code == 403


def test_the_merge_plan_needs_read_on_every_entity_it_moves(make_app: Any) -> None:
    app: App = make_app()
    keep, other = company(app, "Keep Co"), company(app, "Other Co", address1="1 Road")
    no_locations = level_user(app, "no-locations", {"*": "crud", "CompanyLocation": ""})
    body = {"entity": "Company", "keepID": keep, "otherID": other}
    plan = app.client.post("/api/v1/merges/plan", json=body, headers=no_locations)
    assert plan.status_code == 403, plan.text
    assert "CompanyLocation" not in plan.text and "1 Road" not in plan.text
    full = app.client.post("/api/v1/merges/plan", json=body)
    assert full.status_code == 200 and "CompanyLocation" in full.text
