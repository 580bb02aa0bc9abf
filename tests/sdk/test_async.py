"""AsyncClient: the same plans as Client, run with await (in process, httpx.ASGITransport)."""

from __future__ import annotations

import anyio
import httpx
import pytest

from mspcrm import errors
from mspcrm.api.app import create_app
from mspcrm.sdk import AsyncClient, F
from mspcrm.services.crm import Services
from tests.conftest import API_CODE, API_SECRET, API_USER, ApiCredentials
from tests.sdk.conftest import add_companies
from tests.sdk.fake_autotask import BASE, Answer, FakeAutotask, Seen


def test_async_client_crud_paging_and_errors(services: Services, api_user: ApiCredentials) -> None:
    add_companies(services, api_user.resource_id, 505, prefix="Async")
    transport = httpx.ASGITransport(app=create_app(services=services))

    async def main() -> None:
        async with AsyncClient(
            "http://testserver",
            username=API_USER,
            secret=API_SECRET,
            integration_code=API_CODE,
            transport=transport,
        ) as client:
            names = [
                c["companyName"]
                async for c in client.companies.query(F("companyName").begins_with("Async"))
            ]
            assert (
                len(names) == 505 and await client.api_url() == "http://testserver/ATServicesRest/"
            )
            company_id = await client.companies.create(
                {"companyName": "Await Co", "companyType": 1}
            )
            contact_id = await client.contacts.create(
                {"companyID": company_id, "firstName": "Asy", "lastName": "Nc"}
            )
            await client.contacts.update({"id": contact_id, "title": "Async"})
            children = client.companies.children(company_id, "Contacts")
            assert [c["title"] async for c in children] == ["Async"]
            await client.contacts.delete(contact_id)
            assert await client.contacts.get(contact_id) is None
            assert await client.companies.count(F("companyName").eq("Await Co")) == 1
            assert (await client.companies.picklist("companyType"))["Customer"] == 1
            first = await client.companies.first(F("companyName").begins_with("Async"))
            assert first is not None and first["companyName"] == "Async 00000"
            with pytest.raises(errors.QueryError, match="Unable to find nope"):
                await client.companies.count(F("nope").eq(1))

    anyio.run(main)


def test_async_client_keeps_three_in_flight_per_endpoint_and_retries_429() -> None:
    def script(seen: Seen, n: int) -> Answer:
        if n == 1:
            return Answer(429, {"errors": ["slow down"]}, {"Retry-After": "0"})
        return Answer(200, {"item": {"id": 7}}, delay=0.1)

    app = FakeAutotask(script)

    client = AsyncClient(
        BASE,
        username=API_USER,
        secret=API_SECRET,
        integration_code=API_CODE,
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
    )

    async def main() -> None:
        async with client, anyio.create_task_group() as tasks:
            for _ in range(8):
                tasks.start_soon(client.companies.get, 7)

    anyio.run(main)
    assert len(app.seen) == 9 and app.peak == {"companies": 3}
