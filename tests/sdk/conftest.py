"""Fixtures of the SDK tests: a ``Client`` in process on the test database, bulk data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mspcrm.api.app import create_app
from mspcrm.sdk import ASGIInProcessTransport, Client
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from tests.conftest import API_CODE, API_SECRET, API_USER, ApiCredentials


def make_client(base_url: str, **options: object) -> Client:
    """A client with the test API user's credentials."""
    return Client(
        base_url,
        username=API_USER,
        secret=API_SECRET,
        integration_code=API_CODE,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def sdk(services: Services, api_user: ApiCredentials) -> Iterator[Client]:
    """The SDK in process against the default-mode app; the zone is discovered."""
    transport = ASGIInProcessTransport(create_app(services=services))
    with make_client("http://testserver", transport=transport) as client:
        yield client


def add_companies(services: Services, owner_id: int, count: int, prefix: str = "Bulk") -> None:
    """``count`` companies in one transaction, through the services (fast, rules on)."""
    company = services.registry.by_name("Company")
    actor = Actor(resource_id=owner_id, channel="import")
    with services.db.write() as conn:
        for i in range(count):
            body = {"companyName": f"{prefix} {i:05d}", "companyType": 1}
            services.records.create_in(conn, company, body, actor)
