"""Shared helpers of the workflow tests: a resource, the onboarding template, counts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from mspcrm.config import Settings
from mspcrm.domain.onboarding_template import TEMPLATE
from mspcrm.sdk import Client
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services, build_services
from mspcrm.services.workflows import workflows_for
from mspcrm.store.schema import ENTITY_TABLES
from tests.conftest import API_CODE, API_SECRET, API_USER, _wait_until_up, add_api_user, free_port

COUNTED = ("Company", "Contact", "CompanyLocation", "Contract", "CompanyNote", "ContactRole")


@pytest.fixture
def manager(services: Services) -> int:
    """The account manager the template names (ann.lee@msp.example)."""
    resource_id, _ = services.admin.create_resource("Ann", "Lee", "ann.lee@msp.example")
    return resource_id


@pytest.fixture
def actor(manager: int) -> Actor:
    return Actor(resource_id=manager, channel="cli")


def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE)
    return loaded


def counts(services: Services) -> dict[str, int]:
    import sqlalchemy as sa

    with services.db.read() as conn:
        return {
            name: int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(ENTITY_TABLES[name])
                ).scalar_one()
            )
            for name in COUNTED
        }


# ---- a stand-in tenant: `mspcrm serve --compat autotask` beside a local database --------
@dataclass
class StandIn:
    """The same data twice: a live autotask-mode server (no /api/v1) and a local database."""

    url: str
    local: str  # the local database (a SQLite file)
    ids: dict[str, int]
    process: subprocess.Popen[bytes]

    def remote_args(self) -> list[str]:
        return ["--url", self.url, "--username", API_USER, "--secret", API_SECRET,
                "--integration-code", API_CODE]  # fmt: skip

    def client(self) -> Client:
        return Client(self.url, username=API_USER, secret=API_SECRET, integration_code=API_CODE)


def seed(services: Services) -> dict[str, int]:
    """An API user, two account managers, an onboarded client and a three-level tree."""
    add_api_user(services)
    ann, _ = services.admin.create_resource("Ann", "Lee", "ann.lee@msp.example")
    bea, _ = services.admin.create_resource("Bea", "Ng", "bea@msp.example")
    actor = Actor(resource_id=ann, channel="cli")
    done = workflows_for(services).onboarding.onboard(template(), actor)
    ids = {"ann": ann, "bea": bea, "acme": done["companyID"]}
    people = [s["id"] for s in done["steps"] if s["step"] == "contact"]
    ids["dana"], ids["second"] = people[0], people[1]

    def make(entity: str, body: dict[str, Any]) -> int:
        return services.records.create(services.registry.by_name(entity), body, actor)

    def company(name: str, parent: int | None, kind: int = 1) -> int:
        body = {"companyName": name, "companyType": kind, "parentCompanyID": parent,
                "ownerResourceID": ann}  # fmt: skip
        return make("Company", body)

    ids["holding"] = company("Holding", None)
    ids["east"] = company("East", ids["holding"])
    ids["west"] = company("West", ids["holding"], kind=3)
    ids["clinic"] = company("East Clinic", ids["east"])
    for n, where in enumerate(("holding", "east", "clinic", "clinic")):
        person = {"companyID": ids[where], "firstName": f"P{n}", "lastName": "X",
                  "emailAddress": f"p{n}@x.example", "primaryContact": n == 2}  # fmt: skip
        ids[f"p{n}"] = make("Contact", person)
    make("CompanyLocation", {"companyID": ids["clinic"], "name": "Annex"})
    deals = (("east", 1000, 50, 1, "2030-01-01"), ("clinic", 200, 10, 1, "2020-01-01"),
             ("clinic", 400, 100, 3, "2030-01-01"), ("west", 300, 0, 0, "2030-01-01"))  # fmt: skip
    for where, amount, probability, status, close in deals:
        deal = {"companyID": ids[where], "title": f"Deal {where} {amount}", "amount": amount,
                "probability": probability, "status": status, "stage": 1,
                "ownerResourceID": ann, "projectedCloseDate": close}  # fmt: skip
        make("Opportunity", deal)
    twin = {"companyID": ids["east"], "firstName": "Pat", "lastName": "Quinn",
            "emailAddress": "pat.quinn@gmail.com", "phone": "+1 555 010 0199"}  # fmt: skip
    ids["pat"] = make("Contact", twin)
    ids["pat2"] = make("Contact", {**twin, "companyID": ids["west"]})
    return ids


@pytest.fixture
def stand_in(db_url: str, tmp_path: Path, sqlite_template: Path) -> Iterator[StandIn]:
    """The server on the test database (SQLite or PostgreSQL), the local copy on SQLite."""
    setup = build_services(Settings(database_url=db_url))
    ids = seed(setup)
    setup.close()
    local = tmp_path / "local.db"
    shutil.copy(sqlite_template, local)
    twin = build_services(Settings(database_url=str(local)))
    assert seed(twin) == ids, "both databases must give the same ids"
    twin.close()
    port = free_port()
    env = {**os.environ, "MSPCRM_DATABASE_URL": db_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "mspcrm.cli", "serve", "--port", str(port), "--compat", "autotask"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield StandIn(url, str(local), ids, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
