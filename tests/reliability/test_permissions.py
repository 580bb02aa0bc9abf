"""The permissions matrix: every Autotask route x method x security level, generated from the
entity declarations and the handler table, plus the native API; nothing readable or writable
beyond the level, refusals in Autotask's words, ``entityInformation`` telling the truth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mspcrm.api import autotask
from mspcrm.api.paths import Route
from mspcrm.domain.entity import Entity, Registry
from mspcrm.services.crm import Services
from mspcrm.services.permissions import BUILT_IN, VERBS, SecurityLevel
from tests.conftest import add_api_user
from tests.reliability.conftest import App

BASE = "/ATServicesRest/V1.0"
CUSTOM = {
    "nothing": SecurityLevel("nothing", {}),
    "sales": SecurityLevel("sales", {"Company": "cru", "Contact": "r", "*": ""}),
    "notes": SecurityLevel("notes", {"CompanyNote": "crud", "*": "r"}),
}
LEVELS = {**BUILT_IN, **CUSTOM}
BODY_METHODS = ("POST", "PATCH", "PUT")


def define_levels(services: Services) -> None:
    for level in CUSTOM.values():
        services.permissions.define(level.name, dict(level.rights))


def entity_paths(registry: Registry) -> Iterator[tuple[str, Route]]:
    """Every entity-bearing route shape, from the declarations."""
    for entity in registry:
        base = f"{BASE}/{entity.path}"
        yield base, Route("collection", entity)
        yield f"{base}/1", Route("item", entity, 1)
        for kind in ("query", "count", "next"):
            tail = {"query": "query", "count": "query/count", "next": "query/next"}[kind]
            yield f"{base}/{tail}", Route(kind, entity)
        for child in registry.children_of(entity):
            assert child.parent is not None
            segment = f"{base}/1/{child.parent.segment}"
            yield segment, Route("children", child, parent=entity, parent_id=1)
            yield f"{segment}/1", Route("child", child, 1, parent=entity, parent_id=1)


def cases(registry: Registry) -> Iterator[tuple[str, str, Entity, str]]:
    """(method, path, entity, need) for every route the default mode serves."""
    for path, route in entity_paths(registry):
        for (kind, method), (_, need) in autotask.HANDLERS.items():
            if kind != route.kind:
                continue
            try:
                autotask.pick_handler(route, method)
            except Exception:
                continue  # 405 for every level: the declaration has no such capability
            assert route.entity is not None
            yield method, path, route.entity, need


def history_rows(services: Services) -> int:
    with services.db.read() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM entity_history").scalar_one())


def call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if method in BODY_METHODS:
        kwargs["json"] = {"id": 1} if method != "POST" or path.endswith("query") else {}
    if path.endswith("/next"):
        kwargs["params"] = {"paging": '{"pageSize": 5, "nextIds": [1]}', "search": "{}"}
    return client.request(method, path, **kwargs)


@pytest.mark.parametrize("level_name", list(LEVELS))
def test_autotask_surface_matrix(make_app: Any, level_name: str) -> None:
    app: App = make_app(requests_per_hour=0)
    define_levels(app.services)
    user = add_api_user(app.services, username=f"{level_name}@x.example", security_level=level_name)
    level = LEVELS[level_name]
    before = history_rows(app.services)
    checked = 0
    for method, path, entity, need in cases(app.services.registry):
        response = call(app.client, method, path, user.headers)
        allowed = level.allows(entity, need)
        where = f"{level_name}: {method} {path} ({need})"
        if allowed:
            assert response.status_code != 403, where
            assert response.status_code != 500, f"{where}: {response.text}"
        else:
            assert response.status_code == 403, f"{where}: {response.status_code}"
            message = response.json()["errors"][0]
            assert f"adequate permissions to {VERBS[need]} this entity type" in message, where
        checked += 1
    assert checked > 100
    if not any("c" in v or "u" in v or "d" in v for v in level.rights.values()):
        assert history_rows(app.services) == before  # nothing written by a level without rights


@pytest.mark.parametrize("level_name", list(LEVELS))
def test_entity_information_tells_the_level(make_app: Any, level_name: str) -> None:
    app: App = make_app()
    define_levels(app.services)
    user = add_api_user(app.services, username=f"{level_name}@x.example", security_level=level_name)
    level = LEVELS[level_name]
    for entity in app.services.registry:
        info = app.client.get(
            f"{BASE}/{entity.path}/entityInformation", headers=user.headers
        ).json()["info"]
        for need, key in (("create", "Create"), ("read", "Query"), ("update", "Update")):
            capable = info[{"create": "canCreate", "read": "canQuery", "update": "canUpdate"}[need]]
            assert info[f"userAccessFor{key}"] == int(capable and level.allows(entity, need))
        assert info["userAccessForDelete"] == int(
            info["canDelete"] and level.allows(entity, "delete")
        )


NATIVE = [  # method, path, body, (needs), entity name or None for every entity
    ("GET", "/api/v1/Companies/1/history", None, ("read",), "Company"),
    ("POST", "/api/v1/Companies/duplicates/check", {"companyName": "x"}, ("read",), "Company"),
    ("POST", "/api/v1/Contacts/duplicates/scan", {}, ("read",), "Contact"),
    ("POST", "/api/v1/merges/plan", {"entity": "Company", "keepID": 1, "otherID": 2}, ("read",),
     "Company"),
    ("POST", "/api/v1/merges", {"entity": "Company", "keepID": 1, "otherID": 2},
     ("update", "delete"), "Company"),
    ("GET", "/api/v1/merges/1", None, ("read",), None),
    ("POST", "/api/v1/merges/1/undo", None, ("create", "update", "delete"), None),
]  # fmt: skip


@pytest.mark.parametrize("level_name", list(LEVELS))
def test_native_api_matrix(make_app: Any, level_name: str) -> None:
    app: App = make_app()
    define_levels(app.services)
    user = add_api_user(app.services, username=f"{level_name}@x.example", security_level=level_name)
    level, registry = LEVELS[level_name], app.services.registry
    for method, path, body, needs, entity_name in NATIVE:
        targets = [registry.by_name(entity_name)] if entity_name else list(registry)
        allowed = all(level.allows(e, n) for e in targets for n in needs)
        response = app.client.request(method, path, json=body, headers=user.headers)
        where = f"{level_name}: {method} {path}"
        assert (response.status_code == 403) != allowed, f"{where}: {response.status_code}"
        assert response.status_code != 500, f"{where}: {response.text}"


def test_autotask_mode_refuses_with_500_and_the_same_words(make_app: Any) -> None:
    app: App = make_app("autotask", security_level="read-only")
    response = app.client.post(f"{BASE}/Companies", json={"companyName": "x", "companyType": 1})
    assert response.status_code == 500
    assert response.json() == {
        "errors": [
            "The logged in Resource does not have the adequate permissions to create this "
            "entity type."
        ]
    }


def test_impersonation_only_where_the_level_permits(make_app: Any) -> None:
    app: App = make_app()
    services = app.services
    services.permissions.define("writer", {"*": "crud"})
    services.permissions.define("delegate", {"*": "crud"}, can_impersonate=True)
    staff, _ = services.admin.create_resource("Sam", "Sales", "sam@msp.example")
    body = {"companyName": "Imp Co", "companyType": 1}
    impersonate = {"ImpersonationResourceId": str(staff)}
    for name, expected in (("writer", 403), ("read-only", 403), ("delegate", 200), ("full", 200)):
        user = add_api_user(services, username=f"{name}@x.example", security_level=name)
        response = app.client.post(
            f"{BASE}/Companies", json=body | {"companyName": f"Imp {name}"},
            headers=user.headers | impersonate,
        )  # fmt: skip
        assert response.status_code == expected, (name, response.text)
        if expected == 200:
            item = app.client.get(f"{BASE}/Companies/{response.json()['itemId']}").json()["item"]
            assert item["createdByResourceID"] == staff
            assert item["impersonatorCreatorResourceID"] == user.resource_id


def test_unknown_level_has_no_rights_and_cli_levels_are_validated(make_app: Any) -> None:
    app: App = make_app()
    with pytest.raises(Exception, match="Invalid security level"):
        add_api_user(app.services, username="ghost@x.example", security_level="ghost")
    with pytest.raises(Exception, match="letters"):
        app.services.permissions.define("bad", {"Companies": "crudx"})
    app.services.permissions.define("temp", {"*": "r"})
    user = add_api_user(app.services, username="temp@x.example", security_level="temp")
    assert app.client.get(f"{BASE}/Companies/0", headers=user.headers).status_code == 200
    app.services.permissions.remove("temp")
    assert app.client.get(f"{BASE}/Companies/0", headers=user.headers).status_code == 403
