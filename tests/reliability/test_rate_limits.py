"""Autotask's limits with an injectable clock: the rolling-hour threshold (exact counts, exact
wait), the thread limit per integration code + endpoint, state shared by two app instances on
one database, crash-safe slot leases; and what counting costs per request."""

from __future__ import annotations

import statistics
import time
from typing import Any

from mspcrm.services.limits import Admission
from mspcrm.store import limits as store_limits
from tests.reliability.conftest import LARGE, App, FakeClock

BASE = "/ATServicesRest/V1.0"
T0 = 1_800_000_000.0 - (1_800_000_000.0 % 60)  # a minute boundary
THREAD_TEXT = "The Autotask API thread threshold of 3 threads has been exceeded."


def served(response: Any) -> bool:
    """Answered by the handler (a missing id is 404 in the default mode), not refused."""
    return bool(response.status_code in (200, 404))


def clocked(app: App) -> FakeClock:
    clock = FakeClock(T0)
    app.services.limits.clock = clock
    return clock


def threshold(app: App) -> dict[str, Any]:
    response = app.client.get(f"{BASE}/ThresholdInformation")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_request_10001_in_the_hour_is_refused_with_the_exact_wait(make_app: Any) -> None:
    app: App = make_app()
    clock = clocked(app)
    limits = app.services.limits
    if LARGE:  # all 10,000 through the API
        for i in range(10_000):
            assert served(app.client.get(f"{BASE}/Companies/0")), i
            clock.advance(15 * 60 / 10_000)
    else:  # 9,990 counted directly in two minute buckets, the last 10 through the API
        limits.record(4_000)
        clock.advance(10 * 60)
        limits.record(5_990)
        clock.advance(5 * 60)
        for _ in range(10):
            assert served(app.client.get(f"{BASE}/Companies/0"))
    assert limits.count() == 10_000
    refused = app.client.get(f"{BASE}/Companies/0")
    assert refused.status_code == 429
    assert "threshold of 10000 requests per hour" in refused.json()["errors"][0]
    oldest_leaves = T0 + 3600 - clock.now
    assert refused.headers["Retry-After"] == str(round(oldest_leaves))
    assert limits.count() == 10_000  # a refused request is not counted
    clock.advance(oldest_leaves - 1)
    assert app.client.get(f"{BASE}/Companies/0").status_code == 429
    clock.advance(1)
    body = threshold(app)
    first_bucket = 4_000 if not LARGE else _first_minute_requests()
    assert body == {
        "externalRequestThreshold": 10_000,
        "requestThresholdTimeframe": 60,
        "currentTimeframeRequestCount": 10_000 - first_bucket + 1,
    }


def _first_minute_requests() -> int:
    return sum(1 for i in range(10_000) if i * (15 * 60 / 10_000) < 60)


def test_counts_are_exact_and_threshold_information_counts_itself(make_app: Any) -> None:
    app: App = make_app(requests_per_hour=25)
    clock = clocked(app)
    for i in range(10):
        assert served(app.client.get(f"{BASE}/Companies/{i}"))
        clock.advance(61)
    assert threshold(app)["currentTimeframeRequestCount"] == 11
    assert threshold(app)["externalRequestThreshold"] == 25
    clock.advance(3600 - 10 * 61 + 1)  # the first request's minute has left the window
    assert threshold(app)["currentTimeframeRequestCount"] == 12


def test_refusal_in_autotask_mode(make_app: Any) -> None:
    app: App = make_app("autotask", requests_per_hour=3)
    clocked(app)
    for _ in range(3):
        assert served(app.client.get(f"{BASE}/Companies/0"))
    refused = app.client.get(f"{BASE}/Companies/0")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 3600


def _hold(app: App, endpoint: str, code: str, n: int) -> list[Admission]:
    return [app.services.limits.admit(f"{code}:{endpoint}") for _ in range(n)]


def test_the_fourth_concurrent_request_on_one_endpoint_is_refused(make_app: Any) -> None:
    app: App = make_app()
    code = app.creds.headers["ApiIntegrationcode"].upper()
    held = _hold(app, "Company", code, 3)  # three requests in flight (any process)
    refused = app.client.get(f"{BASE}/Companies/0")
    assert refused.status_code == 429
    assert refused.json() == {"errors": [THREAD_TEXT]}
    assert refused.headers["Retry-After"] == "1"
    assert served(app.client.get(f"{BASE}/Contacts/0"))  # another endpoint
    app.services.limits.release(held[0])
    assert served(app.client.get(f"{BASE}/Companies/0"))


def test_thread_limit_in_autotask_mode_is_autotasks_answer(make_app: Any) -> None:
    app: App = make_app("autotask")
    code = app.creds.headers["ApiIntegrationcode"].upper()
    _hold(app, "Company", code, 3)
    refused = app.client.get(f"{BASE}/Companies/0")
    assert refused.status_code == 500
    assert refused.json() == {"errors": [THREAD_TEXT]}


def test_a_crashed_requests_slot_expires(make_app: Any) -> None:
    app: App = make_app(thread_lease_seconds=30)
    clock = clocked(app)
    code = app.creds.headers["ApiIntegrationcode"].upper()
    _hold(app, "Company", code, 3)  # never released: their process died
    assert app.client.get(f"{BASE}/Companies/0").status_code == 429
    clock.advance(30)
    assert served(app.client.get(f"{BASE}/Companies/0"))


def test_state_is_shared_between_two_app_instances(make_app: Any) -> None:
    first: App = make_app(requests_per_hour=8)
    second: App = make_app(requests_per_hour=8)  # same database, own services and pools
    clock = FakeClock(T0)
    first.services.limits.clock = second.services.limits.clock = clock
    code = first.creds.headers["ApiIntegrationcode"].upper()
    held = _hold(first, "Company", code, 3)  # counted too: 3
    assert second.client.get(f"{BASE}/Companies/0").status_code == 429  # slots seen by both
    for admission in held:
        first.services.limits.release(admission)
    for app in (first, second, first):  # 6
        assert served(app.client.get(f"{BASE}/Companies/0"))
    assert threshold(second)["currentTimeframeRequestCount"] == 7  # this one included
    assert served(first.client.get(f"{BASE}/Companies/0"))  # 8
    assert second.client.get(f"{BASE}/Companies/0").status_code == 429  # over, for both
    assert first.client.get(f"{BASE}/Companies/0").status_code == 429


def _median_get(app: App, n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        assert app.client.get(f"{BASE}/Companies/1").status_code == 200
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_cost_of_limits_per_request(make_app: Any, record_property: Any) -> None:
    """Measured, not asserted against a wall-clock figure: the ratio is reported."""
    limited: App = make_app()
    free: App = make_app(requests_per_hour=0, thread_limit=0)
    for app in (limited, free):
        app.client.post(f"{BASE}/Companies", json={"companyName": "Bench", "companyType": 1})
        _median_get(app, 20)  # warm up
    n = 400 if LARGE else 150
    with_limits, without = _median_get(limited, n), _median_get(free, n)
    dialect = limited.services.db.dialect
    extra_ms = (with_limits - without) * 1000
    record_property("limits_extra_ms", extra_ms)
    print(
        f"\n[{dialect}] GET by id median: {without * 1000:.2f} ms without limits, "
        f"{with_limits * 1000:.2f} ms with (+{extra_ms:.2f} ms, x{with_limits / without:.2f})"
    )
    assert with_limits < without * 20  # a sanity bound only


def test_a_clock_behind_the_newest_minute_counts_without_a_duplicate_row(make_app: Any) -> None:
    """Two servers whose clocks differ a little: the slower one's minute already has a row,
    and a newer minute exists too. It must add to its row, not insert it again (a 500)."""
    app: App = make_app()
    clock = clocked(app)
    assert served(app.client.get(f"{BASE}/Companies/0"))
    clock.advance(60)
    assert served(app.client.get(f"{BASE}/Companies/0"))
    clock.advance(-60)
    assert served(app.client.get(f"{BASE}/Companies/0"))
    assert app.services.limits.count() == 3


def _stored_count(app: App) -> int:
    """What the database holds (not what the process keeps in memory)."""
    with app.services.limits.db.read() as conn:
        return sum(c for _, c in store_limits.minute_counts(conn, 0))


def test_alone_a_server_counts_in_memory_and_writes_once_a_second(make_app: Any) -> None:
    app: App = make_app()
    clock = clocked(app)
    for _ in range(5):  # the first request syncs; the next four are counted in memory
        assert served(app.client.get(f"{BASE}/Companies/0"))
    assert app.services.limits.shared is False
    assert _stored_count(app) == 1
    clock.advance(1)  # a second later, the next request writes what memory counted
    assert served(app.client.get(f"{BASE}/Companies/0"))
    assert _stored_count(app) == 6
    for _ in range(3):
        assert served(app.client.get(f"{BASE}/Companies/0"))
    assert threshold(app)["currentTimeframeRequestCount"] == 10  # written before answering
    assert _stored_count(app) == 10


def test_a_second_server_makes_both_count_in_the_database(make_app: Any) -> None:
    first: App = make_app(requests_per_hour=100_000)
    clock = clocked(first)
    code = first.creds.headers["ApiIntegrationcode"].upper()
    held = _hold(first, "Company", code, 3)  # alone: held in memory
    assert first.services.limits.shared is False
    assert all(a.slot_id is None for a in held)
    second: App = make_app(requests_per_hour=100_000)  # registers on creation
    second.services.limits.clock = clock
    clock.advance(1)
    for admission in held[1:]:
        first.services.limits.release(admission)
    assert served(first.client.get(f"{BASE}/Contacts/0"))  # first syncs: learns of second
    assert first.services.limits.shared is True
    assert second.client.get(f"{BASE}/Companies/0").status_code in (200, 404)  # 1 of 3 held
    _hold(first, "Company", code, 1)  # through the database now: 2 held by first
    assert second.client.get(f"{BASE}/Companies/0").status_code in (200, 404)
    _hold(second, "Company", code, 1)  # the third
    refused = first.client.get(f"{BASE}/Companies/0")
    assert refused.status_code == 429, "slots of both servers are seen by both"
    first.services.limits.release(held[0])  # the slot first held from memory, now a row
    assert served(second.client.get(f"{BASE}/Companies/0"))


def test_near_the_threshold_every_request_is_counted_in_the_database(make_app: Any) -> None:
    app: App = make_app(requests_per_hour=1_000)  # margin: the last 10
    clocked(app)
    app.services.limits.record(985)
    for _ in range(4):  # 986..989: from memory
        assert served(app.client.get(f"{BASE}/Companies/0"))
    assert _stored_count(app) == 985
    for _ in range(11):  # 990..1000, within 1% of the threshold: each through the database
        assert served(app.client.get(f"{BASE}/Companies/0"))
    assert _stored_count(app) == 1_000
    assert app.client.get(f"{BASE}/Companies/0").status_code == 429
