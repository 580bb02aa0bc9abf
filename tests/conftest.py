"""Shared fixtures: real SQLite files and a real PostgreSQL, real servers, no mocks.

Every test that asks for ``services``, ``client`` or ``db_url`` runs twice:
on a fresh SQLite file and on PostgreSQL (``MSPCRM_TEST_POSTGRES_URL``; each
xdist worker gets its own schema, emptied before each test). Without the
variable the PostgreSQL half skips with a loud reason, unless
``MSPCRM_REQUIRE_POSTGRES=1`` (CI), where it fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from mspcrm.api.app import create_app
from mspcrm.config import Settings
from mspcrm.services.crm import Services, build_services
from mspcrm.store.database import Database
from mspcrm.store.migrate import upgrade
from mspcrm.store.schema import metadata
from mspcrm.store.seed import seed_reference_data

PG_URL = os.environ.get("MSPCRM_TEST_POSTGRES_URL")
REQUIRE_PG = os.environ.get("MSPCRM_REQUIRE_POSTGRES") == "1"
API_USER = "api-user@msp.example"
API_SECRET = "correct horse battery staple"
API_CODE = "TESTINTEGRATIONCODE00000001"
ENGINES = ["sqlite", "postgresql"]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(str(path))
    upgrade(db)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    if not PG_URL:
        message = "PostgreSQL tests skipped: set MSPCRM_TEST_POSTGRES_URL (CI always does)"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    schema = f"mspcrm_test_{_worker()}_{os.getpid()}"
    admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema},public"
    db = Database(url)
    upgrade(db)
    db.dispose()
    yield url
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    admin.dispose()


def _reset_postgres(url: str) -> None:
    db = Database(url)
    names = ", ".join(t.name for t in metadata.sorted_tables if t.name != "countries")
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        seed_reference_data(conn)
    db.dispose()


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database with reference data: SQLite file or PostgreSQL schema."""
    if request.param == "sqlite":
        target = tmp_path / "mspcrm.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return str(target)
    url: str = request.getfixturevalue("pg_schema_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def make_services(db_url: str) -> Iterator[Callable[..., Services]]:
    """Build services on the test database, in any mode; all are closed afterwards."""
    opened: list[Services] = []

    def make(compat: str = "default", **settings: Any) -> Services:
        built = build_services(Settings(database_url=db_url, compat=compat, **settings))
        opened.append(built)
        return built

    yield make
    for built in opened:
        built.close()


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    return make_services()


@dataclass
class ApiCredentials:
    resource_id: int
    headers: dict[str, str]


def add_api_user(
    services: Services,
    username: str = API_USER,
    secret: str = API_SECRET,
    security_level: str = "full",
) -> ApiCredentials:
    resource_id, _ = services.admin.create_resource(
        "Api",
        "User",
        username,
        api_user=True,
        secret=secret,
        integration_code=API_CODE,
        security_level=security_level,
    )
    headers = {"ApiIntegrationcode": API_CODE, "UserName": username, "Secret": secret}
    return ApiCredentials(resource_id, headers)


@pytest.fixture
def api_user(services: Services) -> ApiCredentials:
    return add_api_user(services)


@pytest.fixture
def client(services: Services, api_user: ApiCredentials) -> Iterator[TestClient]:
    """A client of the default-mode app, already carrying the API user's headers."""
    with TestClient(create_app(services=services), base_url="http://testserver") as c:
        c.headers.update(api_user.headers)
        yield c


@pytest.fixture
def make_client(
    make_services: Callable[..., Services],
) -> Iterator[Callable[[str], tuple[TestClient, ApiCredentials]]]:
    """A client for a given mode: ``make_client("autotask")``."""
    clients: list[TestClient] = []

    def make(compat: str) -> tuple[TestClient, ApiCredentials]:
        built = make_services(compat)
        creds = ApiCredentials(0, {})
        try:
            creds = add_api_user(built)
        except Exception:  # already created by an earlier client in this test
            from mspcrm.store import credentials as store_credentials

            with built.db.read() as conn:
                row = store_credentials.find(conn, API_USER)
            creds = ApiCredentials(
                int(row.resource_id),
                {"ApiIntegrationcode": API_CODE, "UserName": API_USER, "Secret": API_SECRET},
            )
        c = TestClient(create_app(services=built), base_url="http://testserver")
        c.__enter__()
        c.headers.update(creds.headers)
        clients.append(c)
        return c, creds

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:PORT
    headers: dict[str, str]
    database: str
    process: subprocess.Popen[bytes]


@pytest.fixture
def live_server(db_url: str) -> Iterator[LiveServer]:
    """A real ``mspcrm serve`` process on loopback, on the test database, with an API user."""
    setup = build_services(Settings(database_url=db_url))
    creds = add_api_user(setup)
    setup.close()
    port = free_port()
    env = {**os.environ, "MSPCRM_DATABASE_URL": db_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "mspcrm.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield LiveServer(url, creds.headers, db_url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"server exited early:\n{output}")
        try:
            httpx.get(f"{url}/ATServicesRest/VersionInformation", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start within 30 s")
