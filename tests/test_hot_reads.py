"""The hot reads (``store.hot``: a GET by id on the DBAPI cursor, pages read raw) give the
same wire objects as the SQLAlchemy path they replace, for every entity, every field kind
(datetimes with and without milliseconds, booleans, flags, nulls) and every UDF type, on
both engines; and a UDF definition added by another process is seen at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from mspcrm.domain.entities import ENTITIES, WEBHOOK_EVENT_ERROR_LOG
from mspcrm.domain.entity import Entity
from mspcrm.domain.picklists import picklist_key
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.domain.wire import record_to_wire
from mspcrm.query.ast import Group
from mspcrm.services.crm import Services
from mspcrm.store import catalog, repository
from tests.test_contract import BASE, WRITABLE, create_sample

UDFS = (
    UdfDefinition(entity="Company", name="Seats", type="number"),
    UdfDefinition(entity="Company", name="Segment", type="string", length=100),
    UdfDefinition(entity="Company", name="Renewal", type="date"),
    UdfDefinition(
        entity="Company", name="Tier", type="picklist", picklist_values=("Gold", "Silver")
    ),
)


def sqlalchemy_path(services: Services, entity: Entity) -> list[dict[str, Any]]:
    """Every record of ``entity`` as the SQLAlchemy path (``repository``) makes it."""
    with services.db.read() as conn:
        records = repository.select_page(conn, entity, Group("and", ()), limit=10_000)
        udfs = catalog.udf_definitions(conn, entity.name) if entity.has_udfs else []
    return [record_to_wire(entity, r, udfs) for r in records]


def _fill(client: TestClient, services: Services) -> None:
    for definition in UDFS:
        services.admin.add_udf(definition)
    for entity in WRITABLE:
        create_sample(client, entity, every_field=True)
        create_sample(client, entity)
    with services.db.write() as conn:  # what a failed callout writes
        log = {"createDateTime": "2026-03-04T05:06:07.5Z", "errorMessage": "HTTP 500 Ü",
               "payload": '{"Action":"Create"}', "sequenceNumber": 7}  # fmt: skip
        repository.insert(conn, WEBHOOK_EVENT_ERROR_LOG, {
            k: WEBHOOK_EVENT_ERROR_LOG.require(k).coerce(v) for k, v in log.items()})  # fmt: skip
    values: list[dict[str, Any]] = [
        {"name": "Seats", "value": 12.5},
        {"name": "Segment", "value": "Dental ÄÖ"},
        {"name": "Renewal", "value": "2027-01-31T00:00:00Z"},
        {"name": "Tier", "value": "Gold"},
    ]
    for moment in ("2026-03-04T05:06:07Z", "2026-03-04T05:06:07.5Z", "0999-01-01T00:00:00Z"):
        body = {"companyName": f"Hot {moment}", "companyType": 1, "userDefinedFields": values}
        response = client.post(f"{BASE}/Companies", json=body)
        assert response.status_code == 200, response.text
        contact = {"firstName": "Hot", "lastName": moment, "bulkEmailOptOutTime": moment}
        response = client.post(f"{BASE}/Companies/0/Contacts", json=contact)
        assert response.status_code == 200, response.text


def test_get_and_pages_equal_the_sqlalchemy_path(client: TestClient, services: Services) -> None:
    _fill(client, services)
    for entity in ENTITIES:
        expected = sqlalchemy_path(services, entity)
        assert expected, entity.name
        for item in expected[:60]:
            assert services.records.get(entity, item["id"]) == item, entity.name
        page = services.records.query(
            entity, {"filter": [{"op": "gte", "field": "id", "value": 0}]}
        )
        assert page.items == expected[: len(page.items)], entity.name


def test_include_fields_keep_the_named_fields_and_udfs(
    client: TestClient, services: Services
) -> None:
    _fill(client, services)
    document = {
        "filter": [{"op": "beginsWith", "field": "companyName", "value": "Hot"}],
        "IncludeFields": ["companyName", "Tier"],
    }
    items = services.records.query(_company(), document).items
    assert len(items) == 3
    for item in items:
        assert set(item) == {"id", "companyName", "userDefinedFields"}
        assert item["userDefinedFields"] == [{"name": "Tier", "value": "Gold"}]


def test_a_udf_added_by_another_process_is_seen_at_once(
    client: TestClient, services: Services, make_services: Callable[..., Services]
) -> None:
    company = _company()
    item = services.records.get(company, 0)
    assert item is not None and item["userDefinedFields"] == []
    other = make_services()  # another process's services on the same database
    other.admin.add_udf(UdfDefinition(entity="Company", name="Region", type="string"))
    item = services.records.get(company, 0)
    assert item is not None
    assert item["userDefinedFields"] == [{"name": "Region", "value": None}]
    response = client.get(f"{BASE}/Companies/0")
    assert response.json()["item"]["userDefinedFields"] == [{"name": "Region", "value": None}]


def _company() -> Entity:
    return next(e for e in ENTITIES if e.name == "Company")


@pytest.mark.parametrize("moment", ["2026-03-04T05:06:07Z", "2026-03-04T05:06:07.120Z"])
def test_datetimes_on_the_wire(client: TestClient, moment: str) -> None:
    body = {"firstName": "When", "lastName": moment, "bulkEmailOptOutTime": moment}
    new_id = client.post(f"{BASE}/Companies/0/Contacts", json=body).json()["itemId"]
    got = client.get(f"{BASE}/Contacts/{new_id}").json()["item"]["bulkEmailOptOutTime"]
    assert got == moment.replace(".120Z", ".12Z")


def test_picklists_equal_the_catalog_and_see_changes_at_once(
    services: Services, make_services: Callable[..., Services]
) -> None:
    company = _company()
    with services.db.read() as conn:
        stored = catalog.picklists(conn)
        cached = services.records.picklists(conn, company)
    assert cached, "Company declares picklists"
    for name, values in cached.items():
        assert values == stored.get(picklist_key(company, company.require(name)), []), name
    other = make_services()
    other.admin.add_picklist_value("Company.companyType", "Reseller")
    with services.db.read() as conn:
        labels = [v.label for v in services.records.picklists(conn, company)["companyType"]]
    assert "Reseller" in labels
