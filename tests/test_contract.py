"""Contract tests generated from the registry: every declared entity, every field kind.

create -> get -> query with every operator valid for each field -> count ->
update -> delete where allowed; entityInformation matches the declaration.
No per-entity test code: samples are built from the declarations.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from mspcrm.domain.entities import ENTITIES, WEBHOOK_EVENT_ERROR_LOG
from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Boolean, DateTime, Double, Field, Flag, Integer, Text

BASE = "/ATServicesRest/V1.0"
_counter = itertools.count(1)
WRITABLE = [e for e in ENTITIES if e.api_writable and e.can_create]
READ_ONLY = [e for e in ENTITIES if not (e.api_writable and e.can_create)]


def by_name(name: str) -> Entity:
    return next(e for e in ENTITIES if e.name == name)


def sample_value(client: TestClient, entity: Entity, f: Field) -> Any:
    """A valid value for ``f``, creating referenced records where needed."""
    if f.reference:
        return reference_id(client, by_name(f.reference))
    if f.picklist:
        fields = client.get(f"{BASE}/{entity.path}/entityInformation/fields").json()["fields"]
        declared = next(x for x in fields if x["name"] == f.name)
        return int(declared["picklistValues"][0]["value"])
    if "email" in f.name.lower() and isinstance(f.kind, Text):
        return f"person{next(_counter)}@example.com"
    if f.name.endswith("Url") and isinstance(f.kind, Text):  # a webhook's: never resolves
        return f"https://hook{next(_counter)}.invalid/in"
    if f.name == "udfFieldID":  # a webhook's UDF subscription: a UDF of the watched entity
        return udf_id(client, entity.webhook_for)
    kind = f.kind
    if isinstance(kind, Text):
        return f"Sample {f.name} {next(_counter)}"[: kind.length or 50]
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Flag):
        return 1
    if isinstance(kind, DateTime):
        return "2026-03-04T05:06:07.891Z"
    if isinstance(kind, Double):
        return 12.5
    if isinstance(kind, Integer):
        return 7
    raise AssertionError(f"no sample for {f.name}")


def udf_id(client: TestClient, entity: str) -> int:
    from mspcrm.domain.udfs import UdfDefinition
    from mspcrm.store.schema import udf_definitions as ud

    services = client.app.state.services  # type: ignore[attr-defined]
    name = f"Contract UDF {next(_counter)}"
    services.admin.add_udf(UdfDefinition(entity=entity, name=name))
    with services.db.read() as conn:
        return int(conn.execute(sa.select(ud.c.id).where(ud.c.name == name)).scalar_one())


def reference_id(client: TestClient, entity: Entity) -> int:
    if entity.name == "Company":
        return 0
    if entity.name == "Country":
        return 840
    if entity.name == "Resource":
        query = client.post(f"{BASE}/Resources/query", json={"filter": []}).json()
        return int(query["items"][0]["id"])
    return create_sample(client, entity)[0]


def sample_body(client: TestClient, entity: Entity, *, every_field: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for f in entity.writable_fields:
        if f.required or every_field:
            if f.reference and not f.required and f.reference != "Country":
                continue  # optional references are exercised by the business-rule tests
            body[f.name] = sample_value(client, entity, f)
    if entity.name == "Company":
        body["companyName"] = f"Contract Company {next(_counter)}"
    if entity.name == "CompanyLocation":
        body["isPrimary"] = False
    return body


def create_sample(
    client: TestClient, entity: Entity, *, every_field: bool = False
) -> tuple[int, dict[str, Any]]:
    body = sample_body(client, entity, every_field=every_field)
    response = client.post(f"{BASE}/{entity.path}", json=body)
    assert response.status_code == 200, response.text
    return int(response.json()["itemId"]), body


def wire_equal(f: Field, sent: Any, got: Any) -> bool:
    if isinstance(f.kind, DateTime):
        return datetime.fromisoformat(str(got).replace("Z", "+00:00")) == datetime.fromisoformat(
            str(sent).replace("Z", "+00:00")
        )
    return bool(got == sent)


@pytest.mark.parametrize("entity", WRITABLE, ids=lambda e: e.name)
def test_create_get_roundtrip_every_field(client: TestClient, entity: Entity) -> None:
    record_id, body = create_sample(client, entity, every_field=True)
    item = client.get(f"{BASE}/{entity.path}/{record_id}").json()["item"]
    assert list(item)[: len(entity.fields)] == [f.name for f in entity.fields]
    assert list(item)[-1] == "userDefinedFields"
    for name, sent in body.items():
        if entity.require(name).write_only:  # taken, never read back
            assert item[name] is None, name
            continue
        assert wire_equal(entity.require(name), sent, item[name]), name


def conditions_for(f: Field, value: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(conditions the record must match, conditions it must not) for one field value."""
    name = f.name
    match = [
        {"op": "eq", "field": name, "value": value},
        {"op": "in", "field": name, "value": [value]},
        {"op": "exist", "field": name},
    ]
    miss = [
        {"op": "noteq", "field": name, "value": value},
        {"op": "notIn", "field": name, "value": [value]},
        {"op": "notExist", "field": name},
    ]
    if not isinstance(f.kind, Boolean | Flag):
        match += [
            {"op": "gte", "field": name, "value": value},
            {"op": "lte", "field": name, "value": value},
        ]
        miss += [
            {"op": "gt", "field": name, "value": value},
            {"op": "lt", "field": name, "value": value},
        ]
    if isinstance(f.kind, Text):
        text = str(value)
        match += [
            {"op": "beginsWith", "field": name, "value": text[:4].upper()},
            {"op": "endsWith", "field": name, "value": text[-3:].lower()},
            {"op": "contains", "field": name, "value": text[1:5].swapcase()},
        ]
    return match, miss


@pytest.mark.parametrize("entity", WRITABLE, ids=lambda e: e.name)
def test_every_operator_on_every_queryable_field(client: TestClient, entity: Entity) -> None:
    record_id, _ = create_sample(client, entity, every_field=True)
    item = client.get(f"{BASE}/{entity.path}/{record_id}").json()["item"]
    for f in entity.fields:
        if not f.queryable or item[f.name] is None:
            continue
        match, miss = conditions_for(f, item[f.name])
        for condition, expected in [(c, True) for c in match] + [(c, False) for c in miss]:
            search = {"filter": [condition, {"op": "eq", "field": "id", "value": record_id}]}
            found = client.post(f"{BASE}/{entity.path}/query", json=search)
            assert found.status_code == 200, (condition, found.text)
            ids = [i["id"] for i in found.json()["items"]]
            assert (record_id in ids) is expected, condition
            counted = client.post(f"{BASE}/{entity.path}/query/count", json=search).json()
            assert counted == {"queryCount": int(expected)}, condition


@pytest.mark.parametrize("entity", WRITABLE, ids=lambda e: e.name)
def test_update_then_delete_where_allowed(client: TestClient, entity: Entity) -> None:
    record_id, _ = create_sample(client, entity)
    text = next(
        (
            f
            for f in entity.writable_fields
            if isinstance(f.kind, Text)
            and not f.reference
            and "email" not in f.name.lower()
            and not f.required
            and not f.write_only
        ),
        None,
    )
    if text is not None:  # webhook subscriptions have none
        body = {"id": record_id, text.name: "Changed"}
        assert client.patch(f"{BASE}/{entity.path}", json=body).json() == {"itemId": record_id}
        item = client.get(f"{BASE}/{entity.path}/{record_id}").json()["item"]
        assert item[text.name] == "Changed"
    deleted = client.delete(f"{BASE}/{entity.path}/{record_id}")
    if entity.can_delete:
        assert deleted.json() == {"itemId": record_id}
        assert client.get(f"{BASE}/{entity.path}/{record_id}").status_code == 404
    else:
        assert deleted.status_code == 405
        assert client.get(f"{BASE}/{entity.path}/{record_id}").status_code == 200


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_entity_information_matches_declaration(client: TestClient, entity: Entity) -> None:
    fields = client.get(f"{BASE}/{entity.path}/entityInformation/fields").json()["fields"]
    assert [f["name"] for f in fields] == sorted((f.name for f in entity.fields), key=str.lower)
    for described in fields:
        declared = entity.require(described["name"])
        assert described["dataType"] == declared.kind.data_type
        assert described["isRequired"] is declared.required
        assert described["isReadOnly"] is declared.read_only
        assert described["isQueryable"] is declared.queryable
        assert described["isReference"] is (declared.reference is not None)
        assert described["referenceEntityType"] == (declared.reference or "")
        assert described["isPickList"] is declared.picklist
        assert (described["picklistValues"] is not None) is declared.picklist
        if declared.picklist:
            assert all(isinstance(v["value"], str) for v in described["picklistValues"])
    info = client.get(f"{BASE}/{entity.path}/entityInformation").json()["info"]
    assert info["name"] == entity.name
    assert info["canCreate"] is (entity.can_create and entity.api_writable)
    assert info["canDelete"] is (entity.can_delete and entity.api_writable)
    assert info["hasUserDefinedFields"] is entity.has_udfs


@pytest.mark.parametrize("entity", READ_ONLY, ids=lambda e: e.name)
def test_read_only_entities_refuse_writes_but_answer_queries(
    client: TestClient, entity: Entity
) -> None:
    assert client.post(f"{BASE}/{entity.path}", json={"id": 0}).status_code == 405
    assert client.patch(f"{BASE}/{entity.path}", json={"id": 1}).status_code == 405
    page = client.post(f"{BASE}/{entity.path}/query", json={"filter": [], "MaxRecords": 5}).json()
    empty_at_first = entity is WEBHOOK_EVENT_ERROR_LOG  # written by failed callouts only
    assert int(not empty_at_first) <= page["pageDetails"]["count"] <= 5
