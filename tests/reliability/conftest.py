"""Fixtures of the reliability suite: apps with chosen settings, a fake clock, sizes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from mspcrm.api.app import create_app
from mspcrm.errors import ConflictError
from mspcrm.services.crm import Services
from tests.conftest import API_CODE, API_SECRET, API_USER, ApiCredentials, add_api_user

LARGE = os.environ.get("MSPCRM_TEST_SIZE", "").lower() == "large"


def size(quick: int, large: int) -> int:
    """The quick CI size, or the larger one with MSPCRM_TEST_SIZE=large."""
    return large if LARGE else quick


class FakeClock:
    """An injectable clock (seconds since the epoch) that only moves when told to."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class App:
    client: TestClient
    services: Services
    creds: ApiCredentials


@pytest.fixture
def make_app(make_services: Callable[..., Services]) -> Iterator[Callable[..., App]]:
    """``make_app(compat="default", security_level="full", **settings)``: a client with a user."""
    opened: list[TestClient] = []
    opened_apps: list[App] = []

    def make(compat: str = "default", security_level: str = "full", **settings: Any) -> App:
        services = make_services(compat, **settings)
        try:
            creds = add_api_user(services, security_level=security_level)
        except ConflictError:  # a second app on the same database: the same user
            headers = {"ApiIntegrationcode": API_CODE, "UserName": API_USER, "Secret": API_SECRET}
            creds = ApiCredentials(opened_apps[0].creds.resource_id, headers)
        client = TestClient(create_app(services=services), base_url="http://testserver")
        client.__enter__()
        client.headers.update(creds.headers)
        opened.append(client)
        opened_apps.append(App(client, services, creds))
        return opened_apps[-1]

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def unthrottled_server(
    monkeypatch: pytest.MonkeyPatch, db_url: str, request: pytest.FixtureRequest
) -> Any:
    """``live_server`` with the thread limit off: many writer threads share one API user."""
    monkeypatch.setenv("MSPCRM_THREAD_LIMIT", "0")
    return request.getfixturevalue("live_server")
