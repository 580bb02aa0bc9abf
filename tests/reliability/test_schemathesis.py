"""Schemathesis against GET /api/v1/openapi.json (the Autotask surface and the native API),
through the in-process ASGI app, on SQLite and PostgreSQL: every operation, N generated
requests each (``MSPCRM_SCHEMATHESIS_EXAMPLES``; default 100, 300 with MSPCRM_TEST_SIZE=large;
100 per operation takes ~100 s per engine, see docs/reliability.md);
no unhandled exception (a 500 with the generic message) and no response that breaks the
documented schema (status code, content type, body schema)."""

from __future__ import annotations

import os
import time
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mspcrm.api.responses import UNEXPECTED
from tests.reliability.conftest import App, size

EXAMPLES = int(os.environ.get("MSPCRM_SCHEMATHESIS_EXAMPLES", size(100, 300)))
CHECKS = [response_schema_conformance, status_code_conformance, content_type_conformance]


def seed_records(app: App) -> None:
    """A few real records so generated ids sometimes exist (1, 2, 3 ...)."""
    for i in range(3):
        app.client.post(
            "/ATServicesRest/V1.0/Companies",
            json={"companyName": f"Schema Co {i}", "companyType": 1},
        )


def test_every_operation_conforms(make_app: Any) -> None:
    app: App = make_app(requests_per_hour=0, thread_limit=0, login_failure_limit=0)
    seed_records(app)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    started, calls = time.perf_counter(), 0
    unexpected: list[str] = []
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=app.creds.headers)
            if response.status_code == 500 and UNEXPECTED in response.text:
                unexpected.append(f"{case.method} {case.formatted_path}: {case.body!r}")
            case.validate_response(response, checks=CHECKS)

        check()
    elapsed = time.perf_counter() - started
    print(f"\n[{app.services.db.dialect}] schemathesis: {len(operations)} operations, "
          f"{calls} calls, {elapsed:.1f} s")  # fmt: skip
    assert unexpected == []
    assert calls >= len(operations) * min(EXAMPLES, 20)
