"""The pages in a real browser (Debian's chromium through Playwright) against a real
server process, on both engines: sign-in and out, search and filter, a validation error
on its field, the duplicate warning while typing, inline edit, the pipeline board by drag
and by keyboard, the read-only user's refusals, and axe-core on the main pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mspcrm.config import Settings
from mspcrm.domain.entities import COMPANY, OPPORTUNITY
from mspcrm.services.crm import build_services
from tests.web.conftest import MANAGER, PASSWORD, READER, WebServer, shoot

AXE = Path(__file__).parent / "axe-4.14.1.min.js"


def sign_in(page: Any, username: str = MANAGER, password: str = PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def record(server: WebServer, entity: Any, record_id: int) -> dict[str, Any]:
    services = build_services(Settings(database_url=server.database), migrate=False)
    try:
        found = services.records.get(entity, record_id)
        assert found is not None
        return found
    finally:
        services.close()


def serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_sign_in_and_sign_out(page: Any) -> None:
    page.goto("/companies")
    assert "/sign-in" in page.url
    page.get_by_label("Username or e-mail").fill(MANAGER)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().strip() == "The username or password is not right"
    shoot(page, "sign-in-refused")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/companies$"))  # back where the browser was going
    assert page.get_by_role("heading", name="Companies").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in$"))
    page.goto("/companies")
    assert "/sign-in" in page.url


def test_search_and_filter_the_companies(page: Any) -> None:
    sign_in(page)
    page.goto("/companies")
    page.get_by_label("Search").fill("initech")
    page.wait_for_url(re.compile(r"q=initech"))
    rows = page.locator("#results tbody tr")
    rows.first.wait_for()
    names = [n.strip() for n in page.locator("#results tbody tr td:nth-child(2)").all_inner_texts()]
    assert sorted(names) == ["Initech", "Initech LLC"]
    page.get_by_label("Search").fill("")
    page.get_by_label("Company type").select_option(value="2")  # Initech's type
    page.wait_for_url(re.compile(r"f.companyType=2"))
    page.wait_for_function("!document.querySelector('#results').textContent.includes('Acme')")
    names = [n.strip() for n in page.locator("#results tbody tr td:nth-child(2)").all_inner_texts()]
    assert names and all(n.startswith("Initech") for n in names)
    shoot(page, "companies-filtered")


def test_create_shows_the_validation_error_on_its_field(page: Any) -> None:
    sign_in(page)
    page.goto("/companies/new")
    page.get_by_label("Company name").fill("Wayne Enterprises")
    page.get_by_label("Company type").select_option(label="Customer")
    page.get_by_label("Phone", exact=True).fill("5" * 40)
    page.get_by_role("button", name="Save").click()
    phone = page.get_by_label("Phone", exact=True)
    assert phone.get_attribute("aria-invalid") == "true"
    error = page.locator("#f-phone-error").inner_text()
    assert "Invalid value for phone: 40 characters, at most 25 allowed" in error
    assert page.get_by_label("Company name").input_value() == "Wayne Enterprises"
    shoot(page, "company-form-error")
    phone.fill("555-0100")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/companies/\d+$"))
    assert page.get_by_role("heading", name="Wayne Enterprises", level=1).is_visible()


def test_duplicate_warning_while_typing(page: Any) -> None:
    sign_in(page)
    page.goto("/companies/new")
    page.get_by_label("Company name").press_sequentially("Acme Corp", delay=30)
    warning = page.locator("#duplicates .warning")
    warning.wait_for()
    text = warning.inner_text()
    assert "may already exist" in text and "Acme Corporation" in text and "score" in text
    shoot(page, "duplicate-warning")


def test_inline_edit_on_the_company_page(page: Any, web_server: WebServer) -> None:
    sign_in(page)
    page.goto("/companies/1")
    assert page.get_by_role("heading", name="Contacts").is_visible()
    assert page.locator("text=Primary").first.is_visible()
    page.get_by_role("button", name="Edit phone").click()
    page.locator("#f-phone").fill("555-999-0000")
    page.locator("#field-phone").get_by_role("button", name="Save").click()
    page.locator("#field-phone .saved").wait_for()
    assert record(web_server, COMPANY, 1)["phone"] == "555-999-0000"
    shoot(page, "company-page")


def _stage_of_card(page: Any, opportunity_id: int) -> str:
    column = page.locator(f"#opp-{opportunity_id}").locator("xpath=ancestor::section[1]")
    return str(column.get_attribute("data-stage"))


def test_pipeline_drag_and_keyboard(page: Any, web_server: WebServer) -> None:
    sign_in(page)
    page.goto("/pipeline")
    opportunity_id = int(page.locator(".card").first.get_attribute("data-id") or 0)
    card = page.locator(f"#opp-{opportunity_id}")  # this card, wherever the board puts it
    start = _stage_of_card(page, opportunity_id)
    columns = page.locator(".board .column")
    target = next(
        columns.nth(i)
        for i in range(columns.count())
        if columns.nth(i).get_attribute("data-stage") != start
    )
    stage = str(target.get_attribute("data-stage"))
    card.drag_to(target)
    page.wait_for_function(
        f"document.querySelector('#opp-{opportunity_id}').closest('section').dataset.stage"
        f" === '{stage}'"
    )
    assert str(record(web_server, OPPORTUNITY, opportunity_id)["stage"]) == stage
    shoot(page, "pipeline-board")
    move = page.locator(f"#opp-{opportunity_id} .move button").first
    move.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelector('#opp-{opportunity_id}').closest('section').dataset.stage"
        f" !== '{stage}'"
    )
    assert str(record(web_server, OPPORTUNITY, opportunity_id)["stage"]) != stage


def test_merge_two_duplicates_then_undo(page: Any, web_server: WebServer) -> None:
    sign_in(page)
    page.goto("/companies")
    page.get_by_role("link", name="Find duplicates").click()
    page.get_by_role("link", name="Compare").first.click()
    page.wait_for_url(re.compile(r"/companies/duplicates/\d+/\d+$"))
    keep_id, other_id = (int(n) for n in page.url.rsplit("/", 2)[-2:])
    other_site = str(record(web_server, COMPANY, other_id)["webAddress"])
    page.locator("input[name='take.webAddress'][value=other]").check()
    shoot(page, "merge-compare")
    page.get_by_role("button", name="Merge").click()
    page.wait_for_url(re.compile(r"/merges/\d+$"))
    assert "was merged into" in page.get_by_role("status").inner_text()
    kept = record(web_server, COMPANY, keep_id)
    assert kept["webAddress"] == other_site  # the value picked from the other record
    assert record(web_server, COMPANY, other_id)["isActive"] is False
    page.get_by_role("button", name="Undo this merge").click()
    page.get_by_text("Undone on").wait_for()
    assert record(web_server, COMPANY, other_id)["isActive"] is True


def test_onboarding_plan_then_confirm(page: Any) -> None:
    sign_in(page)
    page.goto("/onboarding")
    page.get_by_label("Company name").fill("Cyberdyne Systems")
    page.get_by_label("Company type").select_option(label="Customer")
    page.get_by_label("Contact first name").fill("Miles")
    page.get_by_label("Contact last name").fill("Dyson")
    page.get_by_label("Contact e-mail").fill("miles@cyberdyne.example")
    page.get_by_label("Site name").fill("Headquarters")
    page.get_by_role("button", name="Show the plan").click()
    plan = page.locator("#plan-h").locator("xpath=..")
    plan.wait_for()
    text = plan.inner_text()
    assert "Create company" in text and "Create contact" in text and "Create site" in text
    shoot(page, "onboarding-plan")
    page.get_by_role("button", name="Confirm and onboard").click()
    page.wait_for_url(re.compile(r"/companies/\d+$"))
    assert page.get_by_role("heading", name="Cyberdyne Systems", level=1).is_visible()
    assert page.get_by_role("link", name="Miles Dyson").is_visible()


def test_read_only_user_sees_no_edit_and_is_refused(page: Any) -> None:
    sign_in(page, READER)
    page.goto("/companies/1")
    assert page.get_by_role("link", name="Edit").count() == 0
    assert page.get_by_role("button", name=re.compile("^Edit")).count() == 0
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    forged = page.request.post(
        "/companies/1/edit", form={"csrf_token": token or "", "companyName": "Hacked"}
    )
    assert forged.status == 403
    page.goto("/companies/new")
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    assert "adequate permissions to create" in page.get_by_role("alert").inner_text()
    shoot(page, "permission-denied")


@pytest.mark.parametrize("width", [1280, 375])
def test_main_pages_pass_axe(page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/sign-in")
    problems = {"/sign-in": serious_violations(page)}
    sign_in(page)
    for path in (
        "/",
        "/companies",
        "/companies/1",
        "/companies/new",
        "/contacts/1",
        "/opportunities",
        "/pipeline",
    ):
        page.goto(path)
        problems[path] = serious_violations(page)
    if width == 375:
        page.goto("/companies")
        shoot(page, "companies-narrow")
    assert {p: v for p, v in problems.items() if v} == {}
