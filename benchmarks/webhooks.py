"""Webhooks: the delivery latency on loopback and the cost of an import with an active webhook.

``python -m benchmarks.webhooks [--rows 20000] [--writes 200] [--postgres URL]``

* **latency**: a real ``mspcrm serve`` process delivers to a receiver on 127.0.0.1;
  each change is a POST through the API, one at a time. Reported: from the POST's
  answer (the write committed before it) to the callout's arrival, and from the POST
  being sent (an upper bound), p50 and p95.
* **import**: ``ROWS`` companies imported in process into a fresh database, with no
  webhook and with one active webhook subscribed to the company name (one callout per
  row queued), alternately, twice each; the ratio of the medians. Delivery is not
  part of the import (it happens afterwards, in the worker).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from mspcrm.config import Settings
from mspcrm.domain.entities.webhooks import field_ids
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services, build_services
from mspcrm.services.import_run import ImportOptions
from mspcrm.services.imports import ImportService

ACTOR = Actor(resource_id=None, channel="api")
ALLOW = "127.0.0.1/32"


def receiver() -> tuple[ThreadingHTTPServer, dict[int, float]]:
    arrived: dict[int, float] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            at = time.perf_counter()
            body = json.loads(raw)
            arrived.setdefault(int(body["Id"]), at)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, arrived


def add_webhook(services: Services, port: int) -> None:
    registry = services.registry
    body = {"name": "bench", "webhookUrl": f"http://127.0.0.1:{port}/hook",
            "deactivationUrl": f"http://127.0.0.1:{port}/off", "secretKey": "k",
            "isSubscribedToCreateEvents": True, "isSubscribedToUpdateEvents": True}  # fmt: skip
    webhook_id = services.records.create(registry.by_name("CompanyWebhook"), body, ACTOR)
    ids = {f.name: n for n, f in field_ids(registry.by_name("Company")).items()}
    services.records.create(
        registry.by_name("CompanyWebhookField"),
        {"fieldID": ids["companyName"], "isSubscribedField": True}, ACTOR, parent_id=webhook_id,
    )  # fmt: skip


SCHEMAS: list[str] = []  # PostgreSQL schemas made by this run, dropped at the end


def drop_schemas(postgres: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(postgres.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        for schema in SCHEMAS:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    engine.dispose()


def fresh_database(folder: Path, name: str, postgres: str | None) -> str:
    if postgres is None:
        return str(folder / f"{name}.db")
    import sqlalchemy as sa

    schema = f"bench_hooks_{name}_{os.getpid()}"
    engine = sa.create_engine(postgres.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    SCHEMAS.append(schema)
    return f"{postgres}?options=-csearch_path%3D{schema},public"


def latency(folder: Path, writes: int, postgres: str | None) -> dict[str, float]:
    server, arrived = receiver()
    url = fresh_database(folder, "latency", postgres)
    setup = build_services(Settings(database_url=url, webhook_allow=ALLOW))
    from tests.conftest import _wait_until_up, add_api_user, free_port

    headers = add_api_user(setup).headers
    add_webhook(setup, server.server_address[1])
    setup.close()
    port = free_port()
    env = {**os.environ, "MSPCRM_DATABASE_URL": url, "MSPCRM_WEBHOOK_ALLOW": ALLOW}
    command = [sys.executable, "-m", "mspcrm.cli", "serve", "--port", str(port)]
    quiet = subprocess.DEVNULL
    process = subprocess.Popen(command, env=env, stdout=quiet, stderr=quiet)
    base = f"http://127.0.0.1:{port}"
    sent: dict[int, tuple[float, float]] = {}
    try:
        _wait_until_up(base, process)
        with httpx.Client(headers=headers, timeout=10) as client:
            for i in range(writes):
                start = time.perf_counter()
                answer = client.post(f"{base}/ATServicesRest/V1.0/Companies",
                                     json={"companyName": f"L{i}", "companyType": 1})  # fmt: skip
                sent[answer.json()["itemId"]] = (start, time.perf_counter())
                time.sleep(0.02)
        deadline = time.monotonic() + 30
        while len(arrived) < writes and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
        server.shutdown()
    after_ack = sorted(max(0.0, arrived[k] - ack) * 1000 for k, (_, ack) in sent.items())
    after_send = sorted((arrived[k] - s) * 1000 for k, (s, _) in sent.items())
    return {"delivered": len(arrived), "ack_p50_ms": percentile(after_ack, 50),
            "ack_p95_ms": percentile(after_ack, 95), "send_p50_ms": percentile(after_send, 50),
            "send_p95_ms": percentile(after_send, 95)}  # fmt: skip


def percentile(values: list[float], pct: int) -> float:
    return round(values[min(len(values) - 1, int(len(values) * pct / 100))], 1)


def import_once(folder: Path, name: str, rows: int, hooked: bool, postgres: str | None) -> float:
    path = folder / "companies.csv"
    if not path.exists():
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["companyName", "companyType", "phone", "city"])
            writer.writerows([f"Company {i}", "Customer", f"555-{i:06d}", "Springfield"]
                             for i in range(rows))  # fmt: skip
    services = build_services(Settings(database_url=fresh_database(folder, name, postgres),
                                       webhook_allow=ALLOW))  # fmt: skip
    if hooked:
        add_webhook(services, 9)  # never called: delivery is not measured here
    importer = ImportService(services.db, services.registry, services.records)
    start = time.perf_counter()
    with path.open("rb") as stream:
        importer.run("companies", stream, Actor(None, "import"), ImportOptions())
    took = time.perf_counter() - start
    services.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("latency:", latency(folder, args.writes, args.postgres))
        times: dict[bool, list[float]] = {False: [], True: []}
        for run in range(4):
            hooked = run % 2 == 1
            times[hooked].append(import_once(folder, f"i{run}", args.rows, hooked, args.postgres))
        plain, hooked_median = statistics.median(times[False]), statistics.median(times[True])
        print(f"import {args.rows} rows: no webhook {plain:.2f} s, active webhook "
              f"{hooked_median:.2f} s, ratio {hooked_median / plain:.3f} "
              f"(runs {times})")  # fmt: skip
    if args.postgres:
        drop_schemas(args.postgres)


if __name__ == "__main__":
    main()
