"""Rate limits and the thread limit, against a scripted stand-in for Autotask."""

from __future__ import annotations

import threading

import pytest

from mspcrm import errors
from mspcrm.sdk import ASGIInProcessTransport, Client
from tests.sdk.conftest import make_client
from tests.sdk.fake_autotask import BASE, Answer, FakeAutotask, Seen

ITEM = {"item": {"id": 7, "companyName": "Acme"}}
LIMITED = {"errors": ["The external request threshold of 10000 has been exceeded."]}


def client_for(app: FakeAutotask, **options: object) -> Client:
    return make_client(BASE, transport=ASGIInProcessTransport(app), **options)


def test_429_waits_for_retry_after_then_retries() -> None:
    def script(seen: Seen, n: int) -> Answer:
        return Answer(429, LIMITED, {"Retry-After": "1"}) if n == 1 else Answer(200, ITEM)

    app = FakeAutotask(script)
    with client_for(app) as client:
        assert client.companies.get(7) == ITEM["item"]
    first, second = app.seen
    assert second.at - first.at >= 0.95
    assert (first.method, first.path) == (second.method, second.path)


def test_429_every_time_raises_after_max_retries() -> None:
    app = FakeAutotask(lambda seen, n: Answer(429, LIMITED, {"Retry-After": "1"}))
    with client_for(app, max_retries=1) as client, pytest.raises(errors.RateLimitedError) as exc:
        client.companies.get(7)
    assert len(app.seen) == 2
    assert exc.value.retry_after == 1.0
    assert exc.value.errors == LIMITED["errors"]


def test_retry_after_beyond_max_retry_wait_is_not_slept() -> None:
    app = FakeAutotask(lambda seen, n: Answer(429, LIMITED, {"Retry-After": "3600"}))
    with client_for(app) as client, pytest.raises(errors.RateLimitedError) as exc:
        client.companies.get(7)
    assert len(app.seen) == 1 and exc.value.retry_after == 3600


def test_thread_threshold_500_is_retried() -> None:
    busy = {"errors": ["The Autotask API thread threshold of 3 threads has been exceeded."]}

    def script(seen: Seen, n: int) -> Answer:
        return Answer(500, busy) if n == 1 else Answer(200, ITEM)

    app = FakeAutotask(script)
    with client_for(app) as client:
        assert client.companies.get(7) == ITEM["item"]
    assert len(app.seen) == 2


def test_at_most_three_in_flight_per_endpoint_from_many_threads() -> None:
    app = FakeAutotask(lambda seen, n: Answer(200, ITEM, delay=0.15))
    with client_for(app) as client:
        start = threading.Barrier(16)

        def work(entity: str) -> None:
            start.wait()
            assert client.entity(entity).get(7) == ITEM["item"]

        threads = [
            threading.Thread(target=work, args=(entity,))
            for entity in ["Companies"] * 8 + ["Contacts"] * 8
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert len(app.seen) == 16
    assert app.peak == {"companies": 3, "contacts": 3}
    assert app.peak_total > 3  # the limit is per endpoint, not per client


def test_following_a_page_falls_back_to_get_on_405_and_stays_on_our_host() -> None:
    internal = "http://internal.example:8080/ATServicesRest/V1.0/Companies/query/next"

    def script(seen: Seen, n: int) -> Answer:
        if seen.path.endswith("/query"):
            details = {"count": 2, "nextPageUrl": f"{internal}?paging=%7b%22pageSize%22%3a2%7d"}
            return Answer(200, {"items": [{"id": 1}, {"id": 2}], "pageDetails": details})
        if seen.method == "POST":
            return Answer(
                405, {"Message": "The requested resource does not support http method 'POST'."}
            )
        return Answer(200, {"items": [{"id": 3}], "pageDetails": {"nextPageUrl": None}})

    app = FakeAutotask(script)
    with client_for(app) as client:
        assert [c["id"] for c in client.companies.query(max_records=None)] == [1, 2, 3]
    assert [(s.method, s.path.rsplit("/", 1)[-1]) for s in app.seen] == [
        ("POST", "query"),
        ("POST", "next"),
        ("GET", "next"),
    ]
    assert {s.headers["host"] for s in app.seen} == {"autotask.test"}
    assert app.seen[1].query == "paging=%7b%22pageSize%22%3a2%7d"
    assert app.seen[1].body == app.seen[0].body == {"filter": [{"op": "exist", "field": "id"}]}
