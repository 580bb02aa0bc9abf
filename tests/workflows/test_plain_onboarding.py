"""Onboarding over the plain Autotask API (a live ``serve --compat autotask``): the same
plan and outcome as on a local database; a run killed with SIGKILL and run again creates
every record exactly once; a run failing on its data removes what it created where the
API deletes (contacts, locations) and names the rest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml  # type: ignore[import-untyped]

from tests.workflows.conftest import StandIn, template
from tests.workflows.test_plain_api import both, run


def client_document(name: str = "Beta Clinic", people: int = 1, sites: int = 2) -> dict[str, Any]:
    """The template as another client, with ``people`` extra contacts and ``sites`` sites."""
    doc = template()
    doc["company"].update(companyName=name, webAddress=f"https://{name.split()[0].lower()}.example",
                          phone="+1 312 555 0199")  # fmt: skip
    slug = name.split()[0].lower()
    doc["contact"]["emailAddress"] = f"dana@{slug}.example"
    doc["contacts"] = [
        {
            "firstName": f"Person{i}",
            "lastName": "Beta",
            "emailAddress": f"p{i}@{slug}.example",
            "roles": ["Technical contact"],
        }
        for i in range(people)
    ]
    base = doc["sites"][0]
    doc["sites"] = [{**base, "name": f"Site {i}", "primary": i == 0} for i in range(sites)]
    doc["contract"]["contractName"] = f"{name} - Managed Services"
    return doc


@pytest.fixture(autouse=True)
def journals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Journals (beside the profiles) in this test's folder."""
    monkeypatch.setenv("MSPCRM_PROFILES_FILE", str(tmp_path / "config" / "profiles.json"))
    return tmp_path / "config" / "journal"


def write(tmp_path: Path, doc: dict[str, Any], name: str = "client.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


def test_plan_apply_and_rerun_are_identical(stand_in: StandIn, tmp_path: Path) -> None:
    file = write(tmp_path, client_document())
    code, text = both(stand_in, "onboard", file, "--dry-run", "--json")
    assert code == 0, text
    planned = orjson.loads(text)
    assert planned["summary"]["create"] == 12, planned
    code, text = both(stand_in, "onboard", file, "--fingerprint", "0000000000000000")
    assert code == 4 and "plan changed" in text
    code, text = both(stand_in, "onboard", file, "--json", "--fingerprint", planned["fingerprint"])
    assert code == 0, text
    assert "Nothing to do" in both(stand_in, "onboard", file)[1]
    grown = client_document(sites=3)
    grown["contact"]["title"] = "Owner"
    code, text = both(stand_in, "onboard", write(tmp_path, grown, "grown.yaml"), "--json")
    assert orjson.loads(text)["summary"] == {"create": 1, "update": 1, "unchanged": 11}
    company = str(orjson.loads(text)["companyID"])
    both(stand_in, "companies", "tree", company, "--contacts")
    code, text = both(stand_in, "onboard", write(tmp_path, client_document("Beta Clinics"), "d"))
    assert code == 4 and "looks like an existing client" in text, text


def test_a_failing_step_removes_what_the_run_created(
    stand_in: StandIn, tmp_path: Path, journals: Path
) -> None:
    doc = client_document("Gamma Care", people=2)
    doc["contract"]["endDate"] = "2025-01-01"  # before its start: the contract step fails
    file = write(tmp_path, doc)
    local = run(["onboard", file, "--database", stand_in.local])
    remote = run(["onboard", file, *stand_in.remote_args()])
    assert local[0] == 2
    assert remote[0] == 1  # autotask mode answers a business error with HTTP 500, as Autotask
    assert "step contract 'Gamma Care - Managed Services'" in local[1]
    assert remote[1].startswith(local[1].rstrip("\n")), (local, remote)
    assert "Removed what this run created: " in remote[1] and "Contact" in remote[1]
    assert "Left in place (the API cannot delete them): Company" in remote[1]
    with stand_in.client() as client:
        company = client.companies.first(
            {"op": "eq", "field": "companyName", "value": "Gamma Care"}
        )
        assert company is not None  # Autotask cannot delete a company: named in the report
        people = list(
            client.contacts.query({"op": "eq", "field": "companyID", "value": company["id"]})
        )
        assert people == []
        sites = list(client.company_locations.query(
            {"op": "eq", "field": "companyID", "value": company["id"]}))  # fmt: skip
        assert len(sites) <= 1  # at most the automatic primary location of the company
    assert not list(journals.glob("*.json"))
    doc["contract"]["endDate"] = "2026-12-31"  # fixed: the run completes what is left
    code, text = run(["onboard", write(tmp_path, doc, "fixed.yaml"), *stand_in.remote_args()])
    assert code == 0, text


def _second_contact_email(doc: dict[str, Any]) -> None:
    doc["contacts"][1]["emailAddress"] = "not-an-address"


def _site_country(doc: dict[str, Any]) -> None:
    doc["sites"][1]["countryID"] = 99999


def _note_action(doc: dict[str, Any]) -> None:
    doc["notes"][1]["actionType"] = 999


def _role(doc: dict[str, Any]) -> None:
    doc["contacts"][1]["roles"] = [999]


@pytest.mark.parametrize(
    ("step", "spoil"),
    [
        ("contact", _second_contact_email),
        ("site", _site_country),
        ("note", _note_action),
        ("role", _role),
    ],
)
def test_a_failure_at_each_step_is_undone_or_named(
    stand_in: StandIn, tmp_path: Path, journals: Path, step: str, spoil: Any
) -> None:
    doc = client_document("Zeta Dental", people=2)
    spoil(doc)
    file = write(tmp_path, doc)
    local = run(["onboard", file, "--database", stand_in.local])
    remote = run(["onboard", file, *stand_in.remote_args()])
    assert local[0] != 0 and remote[0] != 0
    assert f"step {step}" in local[1] and f"step {step}" in remote[1], (local, remote)
    assert "Left in place (the API cannot delete them): Company" in remote[1]
    assert not list(journals.glob("*.json"))
    with stand_in.client() as client:
        name = {"op": "eq", "field": "companyName", "value": "Zeta Dental"}
        company = client.companies.first(name)
        assert company is not None
        where = {"op": "eq", "field": "companyID", "value": company["id"]}
        assert list(client.contacts.query(where)) == []  # removed
        assert len(list(client.company_locations.query(where))) <= 1  # the automatic one
    code, text = run(["onboard", write(tmp_path, client_document("Zeta Dental", people=2), "ok"),
                      *stand_in.remote_args()])  # fmt: skip
    assert code == 0, text  # the fixed file completes the client onboarded part way


def _cli(stand_in: StandIn, file: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "mspcrm.cli", "onboard", file, "--json", *stand_in.remote_args()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _created(journals: Path) -> int:
    for path in journals.glob("*.json"):
        try:
            return len(orjson.loads(path.read_bytes())["created"])
        except (OSError, ValueError, KeyError):
            return 0
    return 0


def test_killed_mid_way_and_run_again_creates_every_record_once(
    stand_in: StandIn, tmp_path: Path, journals: Path
) -> None:
    doc = client_document("Delta Dental", people=12, sites=12)
    file = write(tmp_path, doc)
    env = {**os.environ, "MSPCRM_PROFILES_FILE": os.environ["MSPCRM_PROFILES_FILE"]}
    kills = 0
    for wanted in (3, 15):  # kill the first run early, the resumed one later
        process = _cli(stand_in, file, env)
        deadline = time.monotonic() + 60
        while _created(journals) < wanted and process.poll() is None:
            assert time.monotonic() < deadline, "the run never got that far"
            time.sleep(0.002)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    assert kills >= 1, "the run finished before it could be killed"
    assert list(journals.glob("*.json")), "a killed run leaves its journal"
    process = _cli(stand_in, file, env)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    assert orjson.loads(output)["resumed"] is True
    assert not list(journals.glob("*.json"))
    _assert_once(stand_in, doc)


def _assert_once(stand_in: StandIn, doc: dict[str, Any]) -> None:
    with stand_in.client() as client:
        name = {"op": "eq", "field": "companyName", "value": doc["company"]["companyName"]}
        companies = list(client.companies.query(name))
        assert len(companies) == 1
        where = {"op": "eq", "field": "companyID", "value": companies[0]["id"]}
        emails = sorted(c["emailAddress"] for c in client.contacts.query(where))
        wanted = sorted(
            [doc["contact"]["emailAddress"], *(c["emailAddress"] for c in doc["contacts"])]
        )
        assert emails == wanted
        sites = sorted(s["name"] for s in client.company_locations.query(where))
        assert sites == sorted(s["name"] for s in doc["sites"])
        roles = list(client.entity("ContactRoles").query(where))
        assert (
            len(roles)
            == len({(r["contactID"], r["role"]) for r in roles})
            == 3 + len(doc["contacts"])
        )
        notes = [n["title"] for n in client.entity("CompanyNotes").query(
            {"op": "eq", "field": "companyID", "value": companies[0]["id"]})]  # fmt: skip
        assert sorted(notes) == sorted({n["title"] for n in doc["notes"]})
        contracts = list(client.entity("Contracts").query(where))
        assert len(contracts) == 1
