"""The generic list pages, in process on both engines: keyset paging in id order and newest
first covers every record once, search and filters narrow it, bad paging input is named."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from mspcrm.domain.entities import COMPANY
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from tests.web.conftest import MANAGER, People, sign_in

ROW_ID = re.compile(r"<tr>\s*<td>(\d+)</td>")
NEXT = re.compile(r'<a rel="next" href="([^"]+)"')
PREV = re.compile(r'<a rel="prev" href="([^"]+)"')


def _walk(web: TestClient, start: str, link: re.Pattern[str]) -> list[int]:
    seen: list[int] = []
    url: str | None = start
    while url is not None:
        page = web.get(url.replace("&amp;", "&"))
        assert page.status_code == 200, page.text[:500]
        seen += [int(i) for i in ROW_ID.findall(page.text)]
        found = link.search(page.text)
        url = ("/companies" + found.group(1)) if found else None
    return seen


def test_paging_both_ways_covers_every_record_once(
    services: Services, people: People, web: TestClient
) -> None:
    actor = Actor(resource_id=people.manager_id, channel="system")
    for n in range(120):
        services.records.create(COMPANY, {"companyName": f"Paged {n:03}", "companyType": 1}, actor)
    every = services.records.count(COMPANY, {"filter": [{"op": "exist", "field": "id"}]})
    sign_in(web, MANAGER)
    ascending = _walk(web, "/companies", NEXT)
    assert ascending == sorted(ascending) and len(ascending) == len(set(ascending)) == every
    newest = _walk(web, "/companies?sort=newest", NEXT)
    assert newest == sorted(ascending, reverse=True)
    last_page = web.get("/companies?sort=newest&before=" + str(newest[-1] + 1)).text
    back = PREV.search(last_page)
    assert back is not None  # from an older page, a link back to newer ones
    searched = web.get("/companies?q=paged+11").text
    assert len(ROW_ID.findall(searched)) == 10  # Paged 110 .. Paged 119
    filtered = web.get("/companies?f.companyType=5").text  # the demo's one vendor
    rows = filtered.split("<tbody>")[1].split("</tbody>")[0]
    assert len(ROW_ID.findall(rows)) == 1 and "Umbrella Supplies" in rows


def test_bad_paging_input_is_named(people: People, web: TestClient) -> None:
    sign_in(web, MANAGER)
    answer = web.get("/companies?after=abc")
    assert (
        answer.status_code == 400 and "after must be a record id, not &#39;abc&#39;" in answer.text
    )
    unknown = web.get("/companies/999999")
    assert unknown.status_code == 404 and "No company with id 999999" in unknown.text
