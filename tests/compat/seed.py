"""Fast test data for the compatibility tests: written through the services, not the wire."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mspcrm.config import Settings
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.services.crm import Services, build_services
from tests.conftest import LiveServer

PAGING_PREFIX = "Paging Co "
PAGING_COUNT = 1200


@contextmanager
def server_services(server: LiveServer) -> Iterator[Services]:
    """Services on the live server's database (already migrated by the fixture)."""
    services = build_services(Settings(database_url=server.database), migrate=False)
    try:
        yield services
    finally:
        services.close()


def api_user_id(server: LiveServer) -> int:
    """The resource id behind the live server's API user."""
    headers = server.headers
    with server_services(server) as services:
        actor = services.auth.actor(
            headers["UserName"], headers["Secret"], headers["ApiIntegrationcode"]
        )
    assert actor.resource_id is not None
    return actor.resource_id


def add_staff(server: LiveServer, email: str = "alex.morgan@msp.example") -> int:
    """A staff resource (not an API user), e.g. to impersonate."""
    with server_services(server) as services:
        resource_id, _ = services.admin.create_resource("Alex", "Morgan", email)
    return resource_id


def add_udf(server: LiveServer, entity: str, name: str, udf_type: str = "string") -> None:
    """A user-defined field, as ``mspcrm udfs add`` makes it."""
    with server_services(server) as services:
        services.admin.add_udf(UdfDefinition(entity=entity, name=name, type=udf_type))


def create_companies(
    server: LiveServer, count: int = PAGING_COUNT, prefix: str = PAGING_PREFIX
) -> list[int]:
    """``count`` companies named ``{prefix}0000``... in one transaction, owned by the API user."""
    headers = server.headers
    with server_services(server) as services:
        actor = services.auth.actor(
            headers["UserName"], headers["Secret"], headers["ApiIntegrationcode"]
        )
        company = services.registry.by_name("Company")
        with services.db.write() as conn:
            return [
                services.records.create_in(
                    conn, company, {"companyName": f"{prefix}{i:04d}", "companyType": 1}, actor
                )
                for i in range(count)
            ]
