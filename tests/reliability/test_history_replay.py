"""Entity history: replaying every recorded change reproduces the current data exactly.

Writes go through every path that changes records: API creates, PATCH, PUT, UDFs, child
routes, the rules' side effects (a primary location from the address, one primary contact
and one primary site, addresses following to the primary site), deletes, a merge and its
undo, onboarding and the CLI's resource creation.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
import yaml
from starlette.testclient import TestClient

from mspcrm.domain.onboarding_template import TEMPLATE
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.services.crm import Services
from mspcrm.store import history as history_store
from mspcrm.store import repository
from mspcrm.store.schema import entity_history

BASE = "/ATServicesRest/V1.0"
UDF_PREFIX = "userDefinedFields."


def make_changes(client: TestClient, services: Services) -> None:
    services.admin.add_udf(UdfDefinition(entity="Company", name="Tier"))
    services.admin.create_resource("Ann", "Lee", "ann.lee@msp.example")
    post = lambda path, body: client.post(f"{BASE}/{path}", json=body).json()["itemId"]  # noqa: E731
    acme = post(
        "Companies",
        {
            "companyName": "Umbrella",
            "companyType": 1,
            "address1": "1 Road",
            "city": "Town",
            "userDefinedFields": [{"name": "Tier", "value": "A"}],
        },
    )
    other = post(
        "Companies", {"companyName": "Umbrella Holdings", "companyType": 1, "phone": "555-1"}
    )
    first = post(
        f"Companies/{acme}/Contacts", {"firstName": "A", "lastName": "One", "primaryContact": True}
    )
    post(
        f"Companies/{acme}/Contacts", {"firstName": "B", "lastName": "Two", "primaryContact": True}
    )
    post(f"Companies/{acme}/Locations", {"name": "Branch", "isPrimary": True})
    client.patch(
        f"{BASE}/Companies",
        json={"id": acme, "city": "City", "userDefinedFields": [{"name": "Tier", "value": "B"}]},
    )
    client.put(
        f"{BASE}/Companies",
        json={"id": other, "companyName": "Umbrella Holdings", "companyType": 2},
    )
    client.delete(f"{BASE}/Companies/{acme}/Contacts/{first}")
    plan = client.post(
        "/api/v1/merges/plan", json={"entity": "Company", "keepID": acme, "otherID": other}
    ).json()
    merged = client.post(
        "/api/v1/merges",
        json={
            "entity": "Company",
            "keepID": acme,
            "otherID": other,
            "fingerprint": plan["fingerprint"],
        },
    ).json()
    client.post(f"/api/v1/merges/{merged['mergeID']}/undo")
    document = orjson.loads(orjson.dumps(yaml.safe_load(TEMPLATE)))
    answer = client.post("/api/v1/onboarding", json={"document": document})
    assert answer.status_code == 200, answer.text


def replayed(services: Services) -> dict[tuple[str, int], dict[str, Any]]:
    state: dict[tuple[str, int], dict[str, Any]] = {}
    with services.db.read() as conn:
        rows = conn.execute(sa.select(entity_history).order_by(entity_history.c.id)).all()
    for row in rows:
        key = (row.entity, int(row.record_id))
        if row.op == "delete":
            state.pop(key, None)
            continue
        record = state.setdefault(key, {})
        for name, (_old, new) in row.changes.items():
            record[name] = new
    return state


def current(services: Services, entity_name: str, record_id: int) -> dict[str, Any] | None:
    entity = services.registry.by_name(entity_name)
    with services.db.read() as conn:
        record = repository.get(conn, entity, record_id)
    if record is None:
        return None
    out = {f.name: history_store.json_value(record.get(f.name)) for f in entity.fields}
    for name, value in (record.get(repository.UDFS) or {}).items():
        out[f"{UDF_PREFIX}{name}"] = value
    return out


def test_replaying_the_history_reproduces_the_data(client: TestClient, services: Services) -> None:
    make_changes(client, services)
    state = replayed(services)
    assert len(state) > 20
    for (entity_name, record_id), record in state.items():
        now = current(services, entity_name, record_id)
        assert now is not None, (entity_name, record_id)
        for name, value in now.items():
            if name == "id" or (value is None and name not in record):
                continue
            assert record.get(name) == value, (entity_name, record_id, name)
    for entity in services.registry:
        if entity.name in ("Country",):
            continue
        with services.db.read() as conn:
            ids = {int(r[0]) for r in conn.execute(sa.text(f"SELECT id FROM {entity.table}"))}
        assert ids == {i for (name, i) in state if name == entity.name}, entity.name
