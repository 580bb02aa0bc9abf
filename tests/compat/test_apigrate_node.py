"""The published npm client ``@apigrate/autotask-restapi`` (pinned 2.0.1), unchanged, in Node.

``node/scenario.mjs`` drives the client against the live server and prints one JSON document;
this test starts the server, seeds 1,200 companies, runs the script and checks what the
client got back. The npm package is installed on first use (``npm ci`` in ``node/``); without
``node``/``npm`` on PATH the test is skipped.

How the client behaves (read from its ``index.js``): zone discovery is
``GET ${base_url}v1.0/zoneInformation?user=...`` without credentials, then every call goes to
``${zoneInfo.url}V1.0/...``; ``base_url`` (an option) is the only host it contacts first, so it
is pointed at the server. Children are written through ``/Companies/{id}/Contacts`` and
``/Companies/{id}/Locations`` (POST, PATCH with the id in the body), companies are patched with
``PATCH /Companies``; a 404 becomes ``null``; a 4xx/5xx becomes an ``AutotaskApiError`` carrying
the JSON body. It has no paging method.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.compat.seed import (
    PAGING_COUNT,
    PAGING_PREFIX,
    add_staff,
    add_udf,
    api_user_id,
    create_companies,
)
from tests.conftest import LiveServer

NODE_DIR = Path(__file__).parent / "node"
PACKAGE = "@apigrate/autotask-restapi"
PINNED = json.loads((NODE_DIR / "package.json").read_text())["dependencies"][PACKAGE]
INSTALL_TIMEOUT = 600
RUN_TIMEOUT = 120


def _installed_version() -> str | None:
    manifest = NODE_DIR / "node_modules" / PACKAGE / "package.json"
    if not manifest.exists():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


@pytest.fixture(scope="session")
def apigrate() -> Path:
    """The node folder with the pinned client installed (installed here if missing)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js is not installed: `node` and `npm` must be on PATH for this test")
    with open(NODE_DIR / ".install.lock", "w") as lock:  # xdist workers install one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version() != PINNED:
            command = "ci" if (NODE_DIR / "package-lock.json").exists() else "install"
            done = subprocess.run(
                [npm, command, "--no-audit", "--no-fund"],
                cwd=NODE_DIR,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
            )
            assert done.returncode == 0, f"npm {command} failed:\n{done.stdout}\n{done.stderr}"
    assert _installed_version() == PINNED
    return NODE_DIR


def run_scenario(node_dir: Path, server: LiveServer, impersonate: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "MSPCRM_URL": server.url,
        "AUTOTASK_USER": server.headers["UserName"],
        "AUTOTASK_SECRET": server.headers["Secret"],
        "AUTOTASK_INTEGRATION_CODE": server.headers["ApiIntegrationcode"],
        "PAGING_PREFIX": PAGING_PREFIX,
        "IMPERSONATE_RESOURCE_ID": str(impersonate),
    }
    done = subprocess.run(
        ["node", "scenario.mjs"],
        cwd=node_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f"no output (exit {done.returncode}):\n{done.stderr}"
    results: dict[str, Any] = json.loads(lines[-1])
    assert results["error"] is None, (results["error"], done.stderr)
    assert done.returncode == 0, done.stderr
    return results


def test_apigrate_client_scenario(apigrate: Path, live_server: LiveServer) -> None:
    expected_ids = create_companies(live_server)
    staff_id = add_staff(live_server)
    add_udf(live_server, "Company", "Number of Employees", "number")
    r = run_scenario(apigrate, live_server, staff_id)
    api_root = f"{live_server.url}/ATServicesRest/"

    # only the server was contacted; the zone came from its ZoneInformation, without credentials
    requests = r["requests"]
    assert {urlsplit(q["url"]).netloc for q in requests} == {urlsplit(live_server.url).netloc}
    assert requests[0] == {
        "method": "GET",
        "url": f"{api_root}v1.0/zoneInformation?user={quote(live_server.headers['UserName'])}",
        "credentials": False,
    }
    assert all(q["credentials"] for q in requests[1:])
    assert all(q["url"].startswith(f"{api_root}V1.0/") for q in requests[1:])
    assert r["zoneInfo"]["url"] == api_root
    assert r["zoneInfo"]["zoneName"] == "mspcrm"
    assert (r["root"]["id"], r["root"]["companyName"]) == (0, "My MSP")

    # company: created from PascalCase properties, read back in camelCase
    company_id = r["createdCompany"]["itemId"]
    assert isinstance(company_id, int)
    assert company_id > 0
    company = r["company"]
    assert (company["id"], company["companyName"], company["companyType"]) == (
        company_id,
        "Sirius Cybernetics Corporation",
        3,
    )
    assert (company["phone"], company["city"]) == ("8005551212", "Boston")

    # the UDF: in entityInformation/userDefinedFields, written on create, found by a UDF filter
    assert [(f["name"], f["type"]) for f in r["udfInfo"]["fields"]] == [
        ("Number of Employees", "number")
    ]
    assert company["userDefinedFields"] == [{"name": "Number of Employees", "value": None}]
    milliways = r["createdWithUdf"]["itemId"]
    assert [
        (c["id"], c["companyName"], c["userDefinedFields"]) for c in r["udfQuery"]["items"]
    ] == [(milliways, "Milliways", [{"name": "Number of Employees", "value": "42"}])]

    # query by name with includeFields: only those fields (plus id and userDefinedFields)
    assert r["queryByName"]["items"] == [
        {
            "id": company_id,
            "city": "Boston",
            "companyName": "Sirius Cybernetics Corporation",
            "phone": "8005551212",
            "userDefinedFields": [],
        }
    ]
    assert r["queryByName"]["pageDetails"] == {
        "count": 1,
        "requestCount": 500,
        "prevPageUrl": None,
        "nextPageUrl": None,
    }
    assert r["countByName"] == {"queryCount": 1}

    # PATCH /Companies: only the phone changed
    assert r["patch"] == {"itemId": company_id}
    patched = r["patchedCompany"]
    assert patched["phone"] == "1112223344"
    unchanged = ("companyName", "companyType", "city", "ownerResourceID", "createDate", "isActive")
    assert {k: patched[k] for k in unchanged} == {k: company[k] for k in unchanged}

    # contact through /Companies/{id}/Contacts, read back through /Contacts/{id}
    contact_id = r["createdContact"]["itemId"]
    contact = r["contact"]
    assert (contact["id"], contact["companyID"]) == (contact_id, company_id)
    assert (contact["firstName"], contact["lastName"], contact["emailAddress"]) == (
        "Zaphod",
        "Beeblebrox",
        "zaphod@sirius.example",
    )
    assert contact["isActive"] == 1
    assert r["contactPatch"] == {"itemId": contact_id}
    assert r["patchedContact"]["title"] == "President"
    assert r["patchedContact"]["lastName"] == "Beeblebrox"
    assert [c["id"] for c in r["contactsOfCompany"]["items"]] == [contact_id]

    # location through /Companies/{id}/Locations, read back through /CompanyLocations/{id}
    location_id = r["createdLocation"]["itemId"]
    location = r["location"]
    assert (location["id"], location["companyID"], location["name"]) == (
        location_id,
        company_id,
        "Magrathea Office",
    )
    assert (location["city"], location["isPrimary"]) == ("Cambridge", False)
    locations = r["locationsOfCompany"]["items"]
    assert location_id in [loc["id"] for loc in locations]
    assert [loc["isPrimary"] for loc in locations].count(True) == 1

    paths = {(q["method"], urlsplit(q["url"]).path) for q in requests}
    assert ("POST", f"/ATServicesRest/V1.0/Companies/{company_id}/Contacts") in paths
    assert ("PATCH", f"/ATServicesRest/V1.0/Companies/{company_id}/Contacts") in paths
    assert ("POST", f"/ATServicesRest/V1.0/Companies/{company_id}/Locations") in paths
    assert ("PATCH", "/ATServicesRest/V1.0/Companies") in paths

    # deletes through the child routes; afterwards the client reads null (the server's 404)
    assert r["contactDelete"] == {"itemId": contact_id}
    assert r["contactAfterDelete"] is None
    assert r["locationDelete"] == {"itemId": location_id}
    assert r["locationAfterDelete"] is None
    assert ("DELETE", f"/ATServicesRest/V1.0/Companies/{company_id}/Contacts/{contact_id}") in paths
    assert ("DELETE", f"/ATServicesRest/V1.0/Companies/{company_id}/Locations/{location_id}") in (
        paths
    )

    # created on behalf of a staff member: creator is the staff member, the API user is recorded
    on_behalf = r["impersonatedCompany"]
    assert on_behalf["companyName"] == "Heart of Gold Ltd"
    assert on_behalf["createdByResourceID"] == staff_id
    assert on_behalf["impersonatorCreatorResourceID"] == api_user_id(live_server)

    # a missing id comes back as null; a bad field as an error carrying the server's message
    assert r["missingCompany"] is None
    assert {"companyName", "companyType", "phone", "id"} <= set(r["companyFieldNames"])
    assert r["companyInfo"]["name"] == "Company"
    assert r["companyInfo"]["canDelete"] is False
    assert r["badQuery"]["thrown"] is True
    assert r["badQuery"]["status"] == 400
    assert r["badQuery"]["details"] == {
        "errors": ["Unable to find noSuchField in the Company Entity"]
    }

    # paging through 1,200 companies, both ways: every id exactly once, in id order
    assert r["pagingCount"] == {"queryCount": PAGING_COUNT}
    by_id = r["pagingById"]
    assert by_id["pageSizes"] == [500, 500, 200]
    assert by_id["ids"] == sorted(expected_ids)
    by_url = r["pagingByNextPageUrl"]
    assert by_url["pageSizes"] == [500, 500, 200]
    assert len(by_url["nextPageUrls"]) == 2
    assert all(
        u.startswith(f"{api_root}V1.0/Companies/query/next?paging=") for u in by_url["nextPageUrls"]
    )
    assert by_url["ids"] == sorted(expected_ids)
