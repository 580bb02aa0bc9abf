"""The permissions matrix, generated from the app's own route table: every route's
permission declaration (api/access.py) x every built-in level x custom levels, on both
engines. A route added later is in the matrix without a test written for it; a route that
declares nothing stops the app from starting. Refusals are in Autotask's words, nothing is
written by a level without write rights, ``entityInformation`` tells the truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute
from starlette.testclient import TestClient

from mspcrm.api import autotask, workflows
from mspcrm.api.access import Access, Find, UndeclaredRouteError, declared, with_referrers
from mspcrm.api.app import create_app
from mspcrm.api.paths import Route
from mspcrm.domain.entity import Entity, Registry
from mspcrm.services.crm import Services
from mspcrm.services.permissions import BUILT_IN, OPERATIONS, VERBS, Right, SecurityLevel
from tests.conftest import add_api_user
from tests.reliability.conftest import App

BASE = "/ATServicesRest/V1.0"
EVERYTHING_BUT_OPERATIONS = SecurityLevel("crud-no-operations", {"*": "crud"})
CUSTOM = {
    level.name: level
    for level in (
        SecurityLevel("nothing", {}),
        SecurityLevel("sales", {"Company": "cru", "Contact": "r", "*": ""}),
        SecurityLevel("notes", {"CompanyNote": "crud", "*": "r"}),
        SecurityLevel("countries-read-only", {"Country": "r"}),
        SecurityLevel("star-read", {"*": "r"}),
        SecurityLevel("contacts-only", {"Contact": "crud"}),
        EVERYTHING_BUT_OPERATIONS,
        SecurityLevel("read-and-export", {"*": "r"}, operations=frozenset({Right.EXPORT})),
        SecurityLevel("importer", {"Company": "cru", "*": "r"}, operations=OPERATIONS),
    )
}
LEVELS = {**BUILT_IN, **CUSTOM}
BODY_METHODS = ("POST", "PATCH", "PUT")


def define_levels(services: Services) -> None:
    for level in CUSTOM.values():
        services.permissions.define(
            level.name, dict(level.rights), operations=[str(o) for o in level.operations]
        )


def user_for(app: App, level_name: str) -> dict[str, str]:
    define_levels(app.services)
    username = f"{level_name}@x.example"
    return add_api_user(app.services, username=username, security_level=level_name).headers


def history_rows(services: Services) -> int:
    with services.db.read() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM entity_history").scalar_one())


def refused(response: Any) -> bool:
    if response.status_code != 403:
        return False
    return "adequate permissions to" in response.json()["errors"][0]


# ---- the Autotask surface: the dispatcher's route table (autotask.HANDLERS) ----------------
def entity_paths(registry: Registry) -> Iterator[tuple[str, Route]]:
    """Every entity-bearing route shape, from the declarations."""
    for entity in registry:
        base = f"{BASE}/{entity.path}"
        yield base, Route("collection", entity)
        yield f"{base}/1", Route("item", entity, 1)
        for kind in ("query", "count", "next"):
            tail = {"query": "query", "count": "query/count", "next": "query/next"}[kind]
            yield f"{base}/{tail}", Route(kind, entity)
        for meta, tail in (("info", ""), ("fields", "/fields"), ("udfs", "/userDefinedFields")):
            yield f"{base}/entityInformation{tail}", Route(meta, entity)
        for child in registry.children_of(entity):
            assert child.parent is not None
            segment = f"{base}/1/{child.parent.segment}"
            yield segment, Route("children", child, parent=entity, parent_id=1)
            yield f"{segment}/1", Route("child", child, 1, parent=entity, parent_id=1)


def autotask_cases(registry: Registry) -> Iterator[tuple[str, str, list[tuple[Entity, Right]]]]:
    """(method, path, rights needed) for every route the default mode serves."""
    for path, route in entity_paths(registry):
        for (kind, method), (_, need) in autotask.HANDLERS.items():
            if kind != route.kind:
                continue
            try:
                autotask.pick_handler(route, method)
            except Exception:
                continue  # 405 for every level: the declaration has no such capability
            yield method, path, autotask.needs(route, need)
    yield "GET", f"{BASE}/ThresholdInformation", []


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
    headers = user_for(app, level_name)
    level = LEVELS[level_name]
    before = history_rows(app.services)
    checked = 0
    for method, path, needs in autotask_cases(app.services.registry):
        response = call(app.client, method, path, headers)
        allowed = all(level.allows(entity, right) for entity, right in needs)
        where = f"{level_name}: {method} {path} ({needs})"
        assert response.status_code != 500, f"{where}: {response.text}"
        assert refused(response) != allowed, f"{where}: {response.status_code} {response.text}"
        if not allowed:
            first = next(r for e, r in needs if not level.allows(e, r))
            message = response.json()["errors"][0]
            assert f"adequate permissions to {VERBS[first]} this entity type" in message, where
        checked += 1
    assert checked > 100
    if not any("c" in v or "u" in v or "d" in v for v in level.rights.values()):
        assert history_rows(app.services) == before  # nothing written by a level without rights


# ---- every other route: the declarations on the app's route table -------------------------
ENTITY_WORDS = ("Companies", "Contacts")
PATH_VALUES = {"id": "1", "report": "companies"}
CSV_BODY = "companyName,companyType\nMatrix Co,1\n"


@dataclass(frozen=True)
class NativeCase:
    method: str
    path: str
    access: Access
    word: str | None  # the entity named in the path or body
    dry_run: bool

    def targets(self, registry: Registry) -> list[Entity]:
        if self.access.find in (Find.PATH, Find.BODY):
            assert self.word is not None
            found = [registry.by_name(self.word)]
        elif self.access.find is Find.ALL:
            found = list(registry)
        else:
            found = []
        return with_referrers(registry, found) if self.access.referrers else found

    def allowed(self, level: SecurityLevel, registry: Registry) -> bool:
        needs = self.access.needs(dry_run=self.dry_run)
        return all(level.allows(e, r) for e in self.targets(registry) for r in needs)

    def send(self, client: TestClient, headers: dict[str, str]) -> Any:
        path = self.path.replace("{entity}", self.word or "Companies")
        for name, value in PATH_VALUES.items():
            path = path.replace(f"{{{name}}}", value)
        kwargs: dict[str, Any] = {"headers": headers}
        if self.dry_run:
            kwargs["params"] = {"dryRun": "true"}
        if self.access.find is Find.BODY:
            kwargs["json"] = {"entity": self.word, "keepID": 1, "otherID": 2}
        elif "/imports/" in self.path and self.method == "POST":
            kwargs["content"] = CSV_BODY
        elif self.method in BODY_METHODS:
            kwargs["json"] = {}
        return client.request(self.method, path, **kwargs)


def native_cases(routes: list[Any]) -> Iterator[NativeCase]:
    """Every route of the app but the Autotask dispatcher, from its own declaration."""
    for route in routes:
        if not hasattr(route, "endpoint"):
            continue  # a mount: the web pages' static files (public)
        access = declared(route.endpoint)
        assert access is not None, route.path  # create_app refuses this already
        if access.find in (Find.ROUTE, Find.SESSION):
            continue  # the Autotask table's own matrix; the web pages: tests/web/test_security
        named = "{entity}" in route.path or access.find is Find.BODY
        for method in sorted(route.methods - {"HEAD"}):
            for word in ENTITY_WORDS if named else (None,):
                for dry in (False, True) if access.dry_run is not None else (False,):
                    yield NativeCase(method, route.path, access, word, dry)


def seed_records(app: App) -> None:
    """Company 1 and contact 1, so routes naming id 1 reach a record when allowed."""
    company = app.client.post(f"{BASE}/Companies", json={"companyName": "Matrix", "companyType": 1})
    assert company.json()["itemId"] == 1, company.text
    contact = app.client.post(
        f"{BASE}/Contacts",
        json={"companyID": 1, "firstName": "Ann", "lastName": "Matrix", "isActive": True},
    )
    assert contact.status_code == 200, contact.text


@pytest.mark.parametrize("level_name", list(LEVELS))
def test_native_routes_matrix(make_app: Any, level_name: str) -> None:
    app: App = make_app(requests_per_hour=0)
    seed_records(app)
    headers = user_for(app, level_name)
    level, registry = LEVELS[level_name], app.services.registry
    before = history_rows(app.services)
    app_routes = app.client.app.routes  # type: ignore[attr-defined]
    cases = list(native_cases(app_routes))
    for case in cases:
        response = case.send(app.client, headers)
        where = f"{level_name}: {case.method} {case.path} {case.word} dry={case.dry_run}"
        assert response.status_code != 500, f"{where}: {response.text}"
        allowed = case.allowed(level, registry)
        assert refused(response) != allowed, f"{where}: {response.status_code} {response.text}"
    api_routes = {r.path for r in app_routes if not _web_page(r)} - {"/{path:path}"}
    assert {c.path for c in cases} == api_routes
    if not any("c" in v or "u" in v or "d" in v for v in level.rights.values()):
        assert history_rows(app.services) == before  # nothing written by a level without rights


def _web_page(route: Any) -> bool:
    """A web page or its static files (their own matrix: tests/web/test_security.py)."""
    if not hasattr(route, "endpoint"):
        return True
    access = declared(route.endpoint)
    return access is not None and access.find is Find.SESSION


def test_every_route_declares_its_rights_or_the_app_does_not_start(
    make_services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = make_services()
    app = create_app(services=services)
    for route in app.routes:
        target = getattr(route, "endpoint", None) or getattr(route, "app", None)
        assert declared(target) is not None, route.path  # type: ignore[attr-defined]

    async def undeclared(request: Request) -> Response:
        return Response("reached without a check")

    original = workflows.routes
    monkeypatch.setattr(
        workflows,
        "routes",
        lambda: [*original(), StarletteRoute("/api/v1/new-thing", undeclared)],
    )
    with pytest.raises(UndeclaredRouteError, match="/api/v1/new-thing"):
        create_app(services=services)


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
