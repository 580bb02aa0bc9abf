"""Fixtures for the web pages: people with web passwords, signed-in test clients, and (for
the browser tests) a real server process and Debian's chromium driven by Playwright.

Without /usr/bin/chromium the browser tests skip with the reason, unless
``MSPCRM_REQUIRE_BROWSER=1`` (CI), where a missing browser fails them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mspcrm.api.app import create_app
from mspcrm.config import Settings
from mspcrm.services.crm import Services, build_services
from mspcrm.services.demo import load_demo
from tests.conftest import _wait_until_up, free_port

CHROMIUM = os.environ.get("MSPCRM_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("MSPCRM_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).parent / "artifacts"
MANAGER = "alex.morgan@msp.example"
READER = "rita.reader@msp.example"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class People:
    manager_id: int
    reader_id: int


def add_people(services: Services) -> People:
    """The demo data, its first account manager with a web password, and a read-only user."""
    if load_demo(services) is None:
        raise RuntimeError("demo data was already loaded")
    manager_id = services.web_accounts.set_password(MANAGER, PASSWORD)
    reader_id, _ = services.admin.create_resource(
        "Rita", "Reader", READER, security_level="read-only"
    )
    services.web_accounts.set_password(READER, PASSWORD)
    return People(manager_id, reader_id)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the form, keeping any session cookie the client already holds (as a
    browser would, signing in again or with a planted cookie)."""
    held = [c.value for c in client.cookies.jar if c.name == "mspcrm_session"]
    client.cookies.delete("mspcrm_session")
    page = client.get("/sign-in")
    for value in held:
        plant_session(client, value or "")
    token = re.search(r'name="sign_in_token" value="([^"]+)"', page.text)
    assert token is not None
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "sign_in_token": token.group(1)},
        follow_redirects=False,
    )


def plant_session(client: TestClient, value: str) -> None:
    """Put a session cookie in the client, as the server would have set it."""
    client.cookies.delete("mspcrm_session")
    client.cookies.set("mspcrm_session", value, domain="testserver.local", path="/")


def csrf_of(client: TestClient, path: str = "/") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None, f"no CSRF token on {path}"
    return found.group(1)


@pytest.fixture
def people(services: Services) -> People:
    return add_people(services)


@pytest.fixture
def web(services: Services, people: People) -> Iterator[TestClient]:
    """A browser-like client of the app, not signed in."""
    app = create_app(services=services)
    with TestClient(app, base_url="http://testserver", headers={"accept": "text/html"}) as c:
        yield c


@dataclass
class WebServer:
    url: str
    database: str
    people: People


@pytest.fixture
def web_server(db_url: str) -> Iterator[WebServer]:
    """A real ``mspcrm serve`` process on loopback with the demo data and two web users."""
    setup = build_services(Settings(database_url=db_url))
    people = add_people(setup)
    setup.close()
    port = free_port()
    env = {**os.environ, "MSPCRM_DATABASE_URL": db_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "mspcrm.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield WebServer(url, db_url, people)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium through Playwright (no browser download). Per module: Playwright's
    sync API keeps an event loop running in the test thread while it is open, which would
    make every later ``anyio.run`` / ``asyncio.run`` in the same worker fail."""
    if not Path(CHROMIUM).exists():
        message = f"browser tests skipped: no chromium at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, web_server: WebServer) -> Iterator[Any]:
    """A fresh browser page (own cookies) on the live server."""
    context = browser.new_context(base_url=web_server.url, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def shoot(page: Any, name: str) -> Path:
    """Save a screenshot under tests/web/artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
