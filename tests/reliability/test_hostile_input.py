"""Hostile input: oversized bodies, deep nesting, 10,000-value ``in`` lists, broken JSON,
wrong types, unknown fields, SQL-looking strings: a clear error, nothing written, answered
quickly (never a 500); and the query-time cap."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mspcrm.errors import QueryError
from mspcrm.services.limits import timeout_error
from tests.reliability.conftest import App

BASE = "/ATServicesRest/V1.0"
MB = 1024 * 1024


def nested(depth: int) -> str:
    return '{"companyName": ' + '{"a": ' * depth + "1" + "}" * depth + ', "companyType": 1}'


def in_list(n: int) -> dict[str, Any]:
    return {"filter": [{"op": "in", "field": "id", "value": list(range(n))}]}


def chunks() -> Iterator[bytes]:
    for _ in range(40):
        yield b" " * (128 * 1024)  # 5 MiB, streamed without a Content-Length


HOSTILE: list[tuple[str, str, dict[str, Any], tuple[int, ...], str]] = [
    ("POST", "/Companies", {"content": b"{" + b" " * (3 * MB) + b"}"}, (413,), "over"),
    ("POST", "/Companies", {"content": chunks}, (413,), "over"),
    ("POST", "/Companies", {"content": nested(100)}, (413,), "nested deeper"),
    ("POST", "/Companies", {"content": nested(200_000)}, (413,), "nested deeper"),
    ("POST", "/Companies/query", {"json": in_list(10_000)}, (413,), "at most 500"),
    ("GET", "/Companies/query", {"params": {"search": '{"filter":' + "[" * 5000}}, (413, 400), ""),
    ("POST", "/Companies", {"content": b'{"companyName": "x",'}, (400,), "not valid JSON"),
    ("POST", "/Companies", {"content": b"\xff\xfe"}, (400,), "not valid JSON"),
    ("POST", "/Companies", {"json": [1, 2]}, (400,), ""),
    ("POST", "/Companies", {"json": {"companyName": {"a": 1}, "companyType": 1}}, (400,), ""),
    ("POST", "/Companies", {"json": {"companyName": "x", "companyType": "lots"}}, (400,), ""),
    ("POST", "/Companies", {"json": {"companyName": "x", "companyType": 1, "nope": 1}}, (400,),
     "nope"),
    ("POST", "/Companies/query",
     {"json": {"filter": [{"op": "eq", "field": "companyName'; DROP TABLE companies;--",
                           "value": 1}]}}, (400,), "Unable to find"),
    ("POST", "/Companies/query", {"json": {"filter": [{"op": "or", "items": [
        {"op": "eq", "field": "id", "value": i} for i in range(501)]}]}}, (400,), "500"),
    ("POST", "/api/v1/merges", {"content": nested(100)}, (413,), "nested deeper"),
    ("POST", "/api/v1/merges", {"content": b"{" + b" " * (3 * MB) + b"}"}, (413,), "over"),
]  # fmt: skip


def companies(app: App) -> int:
    with app.services.db.read() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM companies").scalar_one())


@pytest.mark.parametrize("compat", ["default", "autotask"])
def test_hostile_requests_get_a_clear_error_quickly_and_write_nothing(
    make_app: Any, compat: str
) -> None:
    app: App = make_app(compat)
    before = companies(app)
    timings = []
    for method, path, kwargs, statuses, words in HOSTILE:
        if compat == "autotask" and words == "nope":
            continue  # the autotask mode ignores unknown fields, as Autotask does
        url = path if path.startswith("/api") else f"{BASE}{path}"
        if callable(kwargs.get("content")):
            kwargs = {"content": kwargs["content"]()}  # a fresh stream for each run
        start = time.perf_counter()
        response = app.client.request(method, url, **kwargs)
        timings.append(time.perf_counter() - start)
        where = f"{method} {path} {str(kwargs)[:60]}"
        errors = response.json()["errors"]
        assert errors and "unexpected error" not in errors[0], where
        if compat == "default":
            assert response.status_code in statuses, f"{where}: {response.status_code} {errors}"
        if compat == "autotask" and path.startswith("/api"):
            words = "No route"  # an autotask-mode server serves only what Autotask serves
        assert words in " ".join(errors), f"{where}: {errors}"
    assert companies(app) == before
    print(f"\n[{compat}] hostile requests: median {statistics.median(timings) * 1000:.1f} ms, "
          f"max {max(timings) * 1000:.1f} ms")  # fmt: skip
    assert statistics.median(timings) < 0.1


def test_sql_looking_strings_are_data(make_app: Any) -> None:
    app: App = make_app()
    name = "Robert'); DROP TABLE companies;--"
    created = app.client.post(f"{BASE}/Companies", json={"companyName": name, "companyType": 1})
    assert created.status_code == 200
    found = app.client.post(
        f"{BASE}/Companies/query",
        json={"filter": [{"op": "contains", "field": "companyName", "value": "'); DROP"}]},
    ).json()["items"]
    assert [c["companyName"] for c in found] == [name]


def test_query_time_is_capped(make_services: Any) -> None:
    services = make_services(query_timeout_seconds=0.2)
    slow = {
        "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
        "LIMIT 1000000000) SELECT count(*) FROM c",
        "postgresql": "SELECT pg_sleep(5)",
    }[services.db.dialect]
    start = time.perf_counter()
    with pytest.raises(Exception) as caught, services.db.read() as conn:
        conn.exec_driver_sql(slow)
    elapsed = time.perf_counter() - start
    translated = timeout_error(caught.value, 0.2)
    assert isinstance(translated, QueryError), caught.value
    assert "0.2 s limit" in translated.errors[0]
    assert elapsed < 2
    with services.db.read() as conn:  # the connection is usable again
        assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    with services.db.write() as conn:  # writes on SQLite are never interrupted
        conn.exec_driver_sql("SELECT 1")
