"""The web pages' security, in process on both engines: sign-in and sessions (cookie flags,
no fixation, sign-out ends the session server-side), CSRF on every write, the failed-login
limiter, and every page and action against the security levels."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from mspcrm.api.app import create_app
from mspcrm.domain.entities import COMPANY, OPPORTUNITY
from mspcrm.services.crm import Services
from tests.web.conftest import (
    MANAGER,
    PASSWORD,
    READER,
    People,
    add_people,
    csrf_of,
    plant_session,
    sign_in,
)


def test_browsers_get_the_sign_in_page_and_api_clients_keep_the_json(web: TestClient) -> None:
    page = web.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/sign-in?next=/"
    landing = web.get("/", headers={"accept": "application/json"})
    assert landing.json()["name"] == "mspcrm"
    htmx = web.get("/companies", headers={"hx-request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"].startswith("/sign-in")


def test_session_cookie_flags(web: TestClient) -> None:
    answer = sign_in(web, MANAGER)
    assert answer.status_code == 303
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "mspcrm_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http (loopback, tests)


def test_session_cookie_is_secure_behind_tls(services: Services, people: People) -> None:
    app = create_app(services=services)
    with TestClient(app, base_url="https://crm.example") as tls:
        cookie = next(
            c for c in sign_in(tls, MANAGER).headers.get_list("set-cookie") if "session" in c
        )
    assert "Secure" in cookie
    with TestClient(app, base_url="http://crm.example") as proxied:
        proxied.headers["x-forwarded-proto"] = "https"  # a TLS proxy in front
        cookie = proxied.get("/sign-in").headers["set-cookie"]
    assert "mspcrm_signin=" in cookie and "Secure" in cookie


def test_no_session_fixation(web: TestClient) -> None:
    sign_in(web, MANAGER)
    first = web.cookies["mspcrm_session"]
    sign_in(web, MANAGER)  # signing in again, with the first session's cookie
    second = web.cookies["mspcrm_session"]
    assert second != first
    assert web.get("/companies", follow_redirects=False).status_code == 200
    plant_session(web, first)
    stale = web.get("/companies", follow_redirects=False)
    assert stale.status_code == 303  # the session the browser came with has ended
    plant_session(web, "attacker-chosen-value")
    sign_in(web, MANAGER)
    assert web.cookies["mspcrm_session"] != "attacker-chosen-value"


def test_sign_out_ends_the_session_on_the_server(web: TestClient) -> None:
    sign_in(web, MANAGER)
    token = web.cookies["mspcrm_session"]
    out = web.post("/sign-out", data={"csrf_token": csrf_of(web)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    plant_session(web, token)
    replay = web.get("/companies", follow_redirects=False)
    assert replay.status_code == 303


def test_wrong_password_and_the_failed_login_limiter(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(login_failure_limit=3, login_backoff_seconds=60.0)
    add_people(services)
    with TestClient(create_app(services=services), base_url="http://testserver") as c:
        for _ in range(3):
            wrong = sign_in(c, MANAGER, "not the password")
            assert wrong.status_code == 401
            assert "The username or password is not right" in wrong.text
        assert "mspcrm_session" not in c.cookies
        blocked = sign_in(c, MANAGER, PASSWORD)  # right password, but too many failures
        assert blocked.status_code == 429 and "Too many failed sign-in attempts" in blocked.text


def test_sign_in_form_needs_its_token(web: TestClient) -> None:
    forged = web.post("/sign-in", data={"username": MANAGER, "password": PASSWORD})
    assert forged.status_code == 403 and "mspcrm_session" not in web.cookies


def test_csrf_refused_on_every_write(services: Services, web: TestClient) -> None:
    sign_in(web, MANAGER)
    before = services.records.count(COMPANY, {"filter": [{"op": "exist", "field": "id"}]})
    body = {"companyName": "Forged Ltd", "companyType": "1"}
    assert web.post("/companies/new", data=body).status_code == 403
    assert web.post("/companies/new", data={**body, "csrf_token": "wrong"}).status_code == 403
    other = TestClient(create_app(services=services), base_url="http://testserver")
    sign_in(other, MANAGER)
    stolen = csrf_of(other, "/companies")  # another session's token is no good either
    assert web.post("/companies/new", data={**body, "csrf_token": stolen}).status_code == 403
    for path in ("/companies/1/inline/phone", "/companies/1/edit", "/pipeline/move", "/sign-out"):
        assert web.post(path, data={"phone": "1"}).status_code == 403, path
    after = services.records.count(COMPANY, {"filter": [{"op": "exist", "field": "id"}]})
    assert after == before
    header = web.post(
        "/companies/new", data=body, headers={"x-csrf-token": csrf_of(web)}, follow_redirects=False
    )
    assert header.status_code == 303  # htmx sends the token as a header


def write_actions(services: Services) -> list[tuple[str, str]]:
    """Every write page of every entity the pages offer, as (method, path)."""
    actions = [("POST", "/pipeline/move"), ("POST", "/merges/1/undo")]
    actions += [("GET", "/onboarding"), ("POST", "/onboarding")]
    actions.append(("POST", "/companies/duplicates/4/7/merge"))
    actions.append(("POST", "/contacts/duplicates/5/6/merge"))
    for entity in services.registry:
        if not entity.api_writable:
            continue
        base = f"/{entity.command}"
        if entity.can_create:
            actions += [("GET", f"{base}/new"), ("POST", f"{base}/new")]
        if entity.can_update:
            actions += [("GET", f"{base}/1/edit"), ("POST", f"{base}/1/edit")]
            actions += [("GET", f"{base}/1/inline/id"), ("POST", f"{base}/1/inline/id")]
        if entity.can_delete:
            actions.append(("POST", f"{base}/1/delete"))
    return actions


def test_read_only_level_reads_everything_and_changes_nothing(
    services: Services, web: TestClient
) -> None:
    sign_in(web, READER)
    token = csrf_of(web)
    for entity in services.registry:
        assert web.get(f"/{entity.command}").status_code == 200, entity.name
    company = web.get("/companies/1")
    assert company.status_code == 200
    assert "/companies/1/edit" not in company.text and "/inline/" not in company.text
    assert "New company" not in web.get("/companies").text
    for method, path in write_actions(services):
        answer = web.request(method, path, data={"csrf_token": token, "stage": "1", "id": "1"})
        assert answer.status_code == 403, (method, path)
        assert "adequate permissions" in answer.text
    stage = services.records.get(OPPORTUNITY, 1)
    assert stage is not None
    for path in ("/data-quality", "/reports?report=pipeline&by=stage", "/reports.csv"):
        assert web.get(path).status_code == 200, path
    board = web.get("/pipeline")
    assert board.status_code == 200 and 'draggable="true"' not in board.text


def test_a_level_without_read_rights_sees_no_page(services: Services, web: TestClient) -> None:
    services.permissions.define("companies-only", {"Company": "r"})
    services.admin.create_resource(
        "Nora", "Narrow", "nora@msp.example", security_level="companies-only"
    )
    services.web_accounts.set_password("nora@msp.example", PASSWORD)
    sign_in(web, "nora@msp.example")
    assert web.get("/companies").status_code == 200
    for entity in services.registry:
        if entity.name != COMPANY.name:
            assert web.get(f"/{entity.command}").status_code == 403, entity.name
            assert web.get(f"/{entity.command}/1").status_code == 403, entity.name
    assert web.get("/pipeline").status_code == 403
    for path in ("/data-quality", "/reports", "/reports.csv"):  # read on every entity
        assert web.get(path).status_code == 403, path
    home = web.get("/")
    assert 'href="/contacts"' not in home.text
    company = web.get("/companies/1")
    assert company.status_code == 200 and "Contacts" not in company.text


def test_inactive_resource_cannot_sign_in(
    services: Services, web: TestClient, people: People
) -> None:
    from mspcrm.domain.entities import RESOURCE
    from mspcrm.services.context import SYSTEM

    services.records.related_update  # noqa: B018 - resources are written by the CLI only
    with services.db.write() as conn:
        services.records.related_update(
            conn, RESOURCE, {"id": people.reader_id}, {"isActive": False}, SYSTEM
        )
    assert sign_in(web, READER).status_code == 401


def test_the_autotask_mode_stand_in_serves_no_pages(
    make_services: Callable[..., Services],
) -> None:
    services = make_services("autotask")
    with TestClient(create_app(services=services), base_url="http://testserver") as c:
        landing = c.get("/", headers={"accept": "text/html"})
        assert landing.status_code == 200 and landing.json()["mode"] == "autotask"
        page = c.get("/companies", headers={"accept": "text/html"})  # Autotask's own answer
        assert page.status_code != 200 and "No route for /companies" in page.text
