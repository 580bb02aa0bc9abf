"""``/healthz`` for probes and ``/metrics`` for Prometheus, on both engines."""

from __future__ import annotations

import re

import sqlalchemy as sa
from starlette.testclient import TestClient

from mspcrm.api.app import create_app
from mspcrm.services.crm import Services
from mspcrm.store.migrate_schema import version_schema


def test_healthz_answers_ok_without_credentials(services: Services) -> None:
    with TestClient(create_app(services=services)) as anonymous:
        answer = anonymous.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["migrations"] == "current"


def test_healthz_is_503_when_the_schema_is_behind(services: Services) -> None:
    with services.db.engine.begin() as conn:
        table = f"{version_schema(conn) + '.' if version_schema(conn) else ''}alembic_version"
        newest = conn.execute(sa.text(f"SELECT max(version_num) FROM {table}")).scalar_one()
        conn.execute(sa.text(f"DELETE FROM {table} WHERE version_num = :v"), {"v": newest})
    try:
        with TestClient(create_app(services=services)) as anonymous:
            answer = anonymous.get("/healthz")
    finally:  # the PostgreSQL schema is shared by a worker's tests: put the head back
        with services.db.engine.begin() as conn:
            conn.execute(sa.text(f"INSERT INTO {table} (version_num) VALUES (:v)"), {"v": newest})
    assert answer.status_code == 503
    assert answer.json()["migrations"].startswith("behind: needs")
    assert "mspcrm db upgrade" in answer.json()["migrations"]


def series(text: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus' text format (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_by_route_shape_and_status(client: TestClient) -> None:
    route = "/ATServicesRest/V1.0/Companies/{id}"
    before = series(client.get("/metrics").text, "mspcrm_requests_total", route=route)
    for company in (0, 0, 999_999):
        client.get(f"/ATServicesRest/V1.0/companies/{company}")
    client.get("/ATServicesRest/V1.0/NoSuchThing/7")
    client.get("/ATServicesRest/V1.0/OtherMadeUp/7")
    text = client.get("/metrics").text
    assert series(text, "mspcrm_requests_total", route=route, status="200") - before >= 2, [
        line for line in text.splitlines() if line.startswith("mspcrm_requests_total")
    ]
    assert series(text, "mspcrm_request_seconds_count", route=route) >= 3
    made_up = "/ATServicesRest/V1.0/{name}/{id}"
    assert series(text, "mspcrm_requests_total", route=made_up, status="404") >= 2
    assert "NoSuchThing" not in text  # a client's made-up names never become series
