"""No lost updates: threads PATCH different fields of the same records at once against a real
server process; every field keeps its last acknowledged write. The same harness run with a
naive whole-row write-back (read the record, change one field, PUT it all back) must find
lost updates: that is the proof the harness can see them."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.conftest import LiveServer
from tests.reliability.conftest import size

BASE = "/ATServicesRest/V1.0"
FIELDS = ("phone", "fax", "city", "address1", "address2", "postalCode", "state", "webAddress")
Writer = Callable[[httpx.Client, int, str, str], None]


def patch_field(client: httpx.Client, record_id: int, field: str, value: str) -> None:
    """What clients do: send only the field that changes."""
    response = client.patch(f"{BASE}/Companies", json={"id": record_id, field: value})
    response.raise_for_status()


def naive_write_back(client: httpx.Client, record_id: int, field: str, value: str) -> None:
    """Deliberately wrong: read the whole row, change one field, write the whole row back."""
    item = client.get(f"{BASE}/Companies/{record_id}").json()["item"]
    body = {k: v for k, v in item.items() if k != "userDefinedFields"} | {field: value}
    client.put(f"{BASE}/Companies", json=body).raise_for_status()


def run_harness(server: LiveServer, writer: Writer, records: int, rounds: int) -> list[str]:
    """Each thread owns one field and writes it ``rounds`` times on every record; returns
    the (record, field) pairs whose stored value is not the thread's last write."""
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as client:
        ids = [
            client.post(
                f"{BASE}/Companies", json={"companyName": f"Race {i}", "companyType": 1}
            ).json()["itemId"]
            for i in range(records)
        ]

    def work(field: str) -> dict[int, str]:
        last: dict[int, str] = {}
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as client:
            for n in range(rounds):
                for record_id in ids:
                    value = f"{field[:3]}{n}"
                    writer(client, record_id, field, value)
                    last[record_id] = value  # acknowledged
        return last

    with ThreadPoolExecutor(len(FIELDS)) as pool:
        written = dict(zip(FIELDS, pool.map(work, FIELDS), strict=True))
    lost = []
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as client:
        for record_id in ids:
            item: dict[str, Any] = client.get(f"{BASE}/Companies/{record_id}").json()["item"]
            lost += [
                f"{record_id}.{f}={item[f]!r}, last write {written[f][record_id]!r}"
                for f in FIELDS
                if item[f] != written[f][record_id]
            ]
    return lost


def test_concurrent_patches_lose_nothing(unthrottled_server: LiveServer) -> None:
    lost = run_harness(unthrottled_server, patch_field, records=size(3, 10), rounds=size(8, 40))
    assert lost == []


def test_the_harness_catches_a_naive_whole_row_write_back(unthrottled_server: LiveServer) -> None:
    lost: list[str] = []
    for _ in range(5):  # a race: usually the first attempt shows it
        lost = run_harness(unthrottled_server, naive_write_back, records=2, rounds=size(12, 40))
        if lost:
            break
    assert lost, "the harness failed to detect lost updates from whole-row write-back"
