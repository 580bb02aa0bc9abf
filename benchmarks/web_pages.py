"""Page times of the web pages, in process: the companies list, a search, and a company
page with 200 contacts, on a generated data set (``python -m benchmarks.web_pages``).

A quick, bounded measurement (not a load test): the median of ``--reps`` requests through
Starlette's TestClient after a warm-up, so the figures include the ASGI round trip but
no network. Absolute times swing between runs on a shared machine; compare within a run.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

from benchmarks.generate import populate
from benchmarks.sizes import proportional
from mspcrm.api.app import create_app
from mspcrm.config import Settings
from mspcrm.domain.entities import CONTACT
from mspcrm.services.context import Actor
from mspcrm.services.crm import build_services

PASSWORD = "benchmark web password"
CROWDED_CONTACTS = 200


def _sign_in(client: TestClient, username: str) -> None:
    page = client.get("/sign-in")
    token = re.search(r'name="sign_in_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"username": username, "password": PASSWORD, "sign_in_token": token.group(1)}
    answer = client.post("/sign-in", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def _median_ms(client: TestClient, path: str, reps: int) -> float:
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(companies: int, reps: int, folder: Path | None = None) -> dict[str, float]:
    folder = folder or Path(tempfile.mkdtemp(prefix="mspcrm-web-bench-"))
    url = str(folder / "web.db")
    data = populate(url, proportional("web", companies), seed=7, progress=lambda _: None)
    services = build_services(Settings(database_url=url))
    services.web_accounts.set_password(data.username, PASSWORD)
    actor = Actor(resource_id=1, channel="system")
    crowded = 2
    for n in range(CROWDED_CONTACTS):
        body = {"companyID": crowded, "firstName": f"Person{n}", "lastName": "Crowded"}
        services.records.create(CONTACT, body, actor)
    client = TestClient(create_app(services=services), headers={"accept": "text/html"})
    _sign_in(client, data.username)
    results = {
        "companies list": _median_ms(client, "/companies", reps),
        "search": _median_ms(client, "/companies?q=tech", reps),
        f"company page ({CROWDED_CONTACTS}+ contacts)": _median_ms(
            client, f"/companies/{crowded}", reps
        ),
        "pipeline board": _median_ms(client, "/pipeline", reps),
    }
    services.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--companies", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    for name, ms in measure(args.companies, args.reps).items():
        print(f"{name:32} {ms:7.1f} ms (median of {args.reps})")


if __name__ == "__main__":
    main()
