"""The Autotask-compatible REST surface: ``/ATServicesRest/V1.0/...``.

One dispatcher for every declared entity: the path resolves to a route kind,
the (kind, method) pair picks a handler, every handler ends in the services.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mspcrm.api import guard
from mspcrm.api.access import UndeclaredRouteError
from mspcrm.api.paths import Route, resolve
from mspcrm.api.responses import json_response
from mspcrm.domain.entity import Entity
from mspcrm.domain.metadata import entity_info, fields_info, udf_info
from mspcrm.errors import (
    MethodNotAllowedError,
    NotFoundError,
    QueryError,
    ServerError,
    ValidationError,
)
from mspcrm.query.parser import MAX_RECORDS, load_search
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.permissions import Right
from mspcrm.services.records import Page

MAX_BODY_BYTES = 2 * 1024 * 1024
API_VERSIONS = ["V1.0"]
Handler = Callable[["Call"], Awaitable[Response]]


class Call:
    """One request on its way through the surface."""

    def __init__(self, request: Request, services: Services, route: Route) -> None:
        self.request = request
        self.services = services
        self.route = route
        self.actor: Actor | None = None

    @property
    def entity(self) -> Entity:
        assert self.route.entity is not None
        return self.route.entity

    @property
    def autotask(self) -> bool:
        return self.services.settings.autotask_mode

    async def body(self, *, required: bool = True) -> Any:
        settings = self.services.settings
        raw = await guard.read_body(self.request, settings.max_body_bytes)
        if not raw.strip():
            if required:
                raise ValidationError("The request body is empty: send a JSON object")
            return None
        return guard.parse_json(raw, settings.max_json_depth)

    def api_root(self) -> str:
        base = str(self.request.base_url).rstrip("/")
        return f"{base}/ATServicesRest/"


# ---- unauthenticated ------------------------------------------------------------------
async def version(call: Call) -> Response:
    return json_response({"apiVersions": API_VERSIONS})


async def zone(call: Call) -> Response:
    user = call.request.query_params.get("user", "")
    if call.autotask and not await run_in_threadpool(call.services.auth.known_user, user):
        raise ServerError(f"Zone information: unknown user {user!r}")
    root = call.api_root()
    digest = hashlib.sha256(call.services.settings.database_url.encode()).digest()
    return json_response(
        {
            "zoneName": call.services.settings.zone_name,
            "url": root,
            "webUrl": root.removesuffix("ATServicesRest/"),
            "ci": int.from_bytes(digest[:3], "big"),
        }
    )


async def threshold(call: Call) -> Response:
    """Shared by every server process on the database; this request included."""
    current = await run_in_threadpool(call.services.limits.count)
    return json_response(
        {
            "externalRequestThreshold": call.services.settings.requests_per_hour,
            "requestThresholdTimeframe": 60,
            "currentTimeframeRequestCount": current,
        }
    )


# ---- metadata ---------------------------------------------------------------------------
async def info(call: Call) -> Response:
    actor = call.actor
    level = await run_in_threadpool(
        call.services.permissions.level, actor.security_level if actor else ""
    )
    return json_response({"info": entity_info(call.entity, rights=level.letters(call.entity))})


async def fields(call: Call) -> Response:
    def work() -> list[dict[str, Any]]:
        with call.services.db.read() as conn:
            picklists = call.services.records.picklists(conn, call.entity)
        return fields_info(call.entity, picklists)

    return json_response({"fields": await run_in_threadpool(work)})


async def udfs(call: Call) -> Response:
    def work() -> list[dict[str, Any]]:
        with call.services.db.read() as conn:
            return [udf_info(d) for d in call.services.records.udf_definitions(conn, call.entity)]

    return json_response({"fields": await run_in_threadpool(work)})


# ---- reads ------------------------------------------------------------------------------
async def get_item(call: Call) -> Response:
    record_id = call.route.record_id
    assert record_id is not None
    records = call.services.records
    if call.services.db.inline_point_reads:  # microseconds: cheaper than a thread hop
        item = records.get(call.entity, record_id)
    else:
        item = await run_in_threadpool(records.get, call.entity, record_id)
    link = call.entity.parent
    if item is not None and call.route.parent is not None and link is not None:
        item = item if item.get(link.field) == call.route.parent_id else None
    if item is None:
        if call.autotask:
            return json_response({"item": None})
        raise NotFoundError(f"{call.entity.name} not found")
    return json_response({"item": item})


async def _search_document(call: Call) -> Any:
    if call.request.method == "GET":
        search = call.request.query_params.get("search")
        return {} if search is None else load_search(search)
    return await call.body(required=False) or {}


async def query(call: Call) -> Response:
    document = await _search_document(call)
    page = await run_in_threadpool(call.services.records.query, call.entity, document)
    return json_response(_page_body(call, page, document))


async def count(call: Call) -> Response:
    document = await _search_document(call)
    total = await run_in_threadpool(call.services.records.count, call.entity, document)
    return json_response({"queryCount": total})


async def next_page(call: Call) -> Response:
    params = call.request.query_params
    paging = _paging(params.get("paging"))
    search = params.get("search")
    if search is not None:
        document = load_search(search)
    else:
        document = (await call.body(required=False)) if call.request.method == "POST" else None
        if document is None:
            raise QueryError("Paging needs the original query: the search parameter or a body")
    size = paging["pageSize"]
    after, before = paging["after"], paging["before"]
    page = await run_in_threadpool(
        lambda: call.services.records.query(
            call.entity, document, after_id=after, before_id=before, page_size=size
        )
    )
    return json_response(_page_body(call, page, document, size))


def _paging(raw: str | None) -> dict[str, Any]:
    if not raw:
        raise QueryError("The paging parameter is missing")
    try:
        token = orjson.loads(raw)
        size = int(token.get("pageSize", MAX_RECORDS))
        next_ids = [int(i) for i in token.get("nextIds") or []]
        previous = [int(i) for i in token.get("previousIds") or []]
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        raise QueryError(f"The paging parameter is not a valid paging token: {raw!r}") from None
    if not 1 <= size <= MAX_RECORDS:
        raise QueryError("maxCountOfRecordsToReturn must be between 1 and 500")
    if next_ids:
        return {"pageSize": size, "after": next_ids[0], "before": None}
    if previous and previous[0] >= 0:
        return {"pageSize": size, "after": None, "before": previous[0]}
    raise QueryError("The paging token names no page")


def _page_url(call: Call, paging: dict[str, Any], document: Any) -> str:
    entity_path = call.entity.path
    token = quote(orjson.dumps(paging).decode(), safe="")
    search = quote(orjson.dumps(document or {}).decode(), safe="")
    return f"{call.api_root()}V1.0/{entity_path}/query/next?paging={token}&search={search}"


def _page_body(call: Call, page: Page, document: Any, size: int | None = None) -> dict[str, Any]:
    request_count = size or page.query.max_records
    next_url = prev_url = None
    if page.has_next and page.last_id is not None:
        first = page.first_id if page.has_prev else -1
        paging = {"pageSize": request_count, "previousIds": [first], "nextIds": [page.last_id]}
        next_url = _page_url(call, paging, document)
    if page.has_prev and page.first_id is not None:
        paging = {"pageSize": request_count, "previousIds": [page.first_id], "nextIds": []}
        prev_url = _page_url(call, paging, document)
    return {
        "items": page.items,
        "pageDetails": {
            "count": len(page.items),
            "requestCount": request_count,
            "prevPageUrl": prev_url,
            "nextPageUrl": next_url,
        },
    }


async def list_children(call: Call) -> Response:
    parent, parent_id = call.route.parent, call.route.parent_id
    assert parent is not None and parent_id is not None and call.entity.parent is not None
    condition = {"op": "eq", "field": call.entity.parent.field, "value": parent_id}
    document = {"filter": [condition]}
    page = await run_in_threadpool(
        call.services.records.children, parent, parent_id, call.entity, None
    )
    return json_response(_page_body(call, page, document))


# ---- writes -----------------------------------------------------------------------------
def _writer(call: Call) -> Actor:
    assert call.actor is not None
    return call.actor


async def create(call: Call) -> Response:
    body = await call.body()
    new_id = await run_in_threadpool(
        lambda: call.services.records.create(
            call.entity, body, _writer(call), parent_id=call.route.parent_id
        )
    )
    return json_response({"itemId": new_id})


async def patch(call: Call) -> Response:
    return await _update(call, replace=False)


async def put(call: Call) -> Response:
    return await _update(call, replace=True)


async def _update(call: Call, *, replace: bool) -> Response:
    body = await call.body()
    record_id = call.route.record_id
    updated = await run_in_threadpool(
        lambda: call.services.records.update(
            call.entity,
            body,
            _writer(call),
            replace=replace,
            record_id=record_id,
            parent_id=call.route.parent_id,
        )
    )
    return json_response({"itemId": updated})


async def delete(call: Call) -> Response:
    record_id = call.route.record_id
    assert record_id is not None
    deleted = await run_in_threadpool(
        lambda: call.services.records.delete(
            call.entity, record_id, _writer(call), parent_id=call.route.parent_id
        )
    )
    return json_response({"itemId": deleted})


# ---- the table --------------------------------------------------------------------------
# Each (route kind, method) and the right it needs on the route's entity (api/access.py);
# None: the kinds in PUBLIC (no credentials) and AUTHENTICATED (every level may read them).
READ, CREATE, UPDATE, DELETE = Right.READ, Right.CREATE, Right.UPDATE, Right.DELETE
HANDLERS: dict[tuple[str, str], tuple[Handler, Right | None]] = {
    ("version", "GET"): (version, None),
    ("zone", "GET"): (zone, None),
    ("threshold", "GET"): (threshold, None),
    ("info", "GET"): (info, None),
    ("fields", "GET"): (fields, None),
    ("udfs", "GET"): (udfs, None),
    ("item", "GET"): (get_item, READ),
    ("child", "GET"): (get_item, READ),
    ("query", "GET"): (query, READ),
    ("query", "POST"): (query, READ),
    ("count", "GET"): (count, READ),
    ("count", "POST"): (count, READ),
    ("next", "GET"): (next_page, READ),
    ("next", "POST"): (next_page, READ),
    ("children", "GET"): (list_children, READ),
    ("collection", "POST"): (create, CREATE),
    ("children", "POST"): (create, CREATE),
    ("collection", "PATCH"): (patch, UPDATE),
    ("children", "PATCH"): (patch, UPDATE),
    ("item", "PATCH"): (patch, UPDATE),
    ("child", "PATCH"): (patch, UPDATE),
    ("collection", "PUT"): (put, UPDATE),
    ("children", "PUT"): (put, UPDATE),
    ("item", "PUT"): (put, UPDATE),
    ("child", "PUT"): (put, UPDATE),
    ("item", "DELETE"): (delete, DELETE),
    ("child", "DELETE"): (delete, DELETE),
}
PUBLIC = ("version", "zone")
AUTHENTICATED = ("info", "fields", "udfs", "threshold")  # metadata: readable at every level
# Routes real Autotask does not have; the default mode accepts them because clients use them.
NOT_IN_AUTOTASK = {("item", "PATCH"), ("item", "PUT"), ("child", "PATCH"), ("child", "PUT")}


def check_table() -> None:
    """Every (kind, method) of the table declares a right, or is public or metadata."""
    loose = [
        f"{kind} {method}"
        for (kind, method), (_, need) in HANDLERS.items()
        if need is None and kind not in (*PUBLIC, *AUTHENTICATED)
    ]
    if loose:
        raise UndeclaredRouteError("Autotask routes without a right: " + ", ".join(loose))


def needs(route: Route, need: Right | None) -> list[tuple[Entity, Right]]:
    """The rights a route's call needs: ``need`` on its entity, and read on the parent of a
    child route (checked before anything is looked up: a caller who may not read companies
    learns nothing about which exist from ``/Companies/{id}/Contacts``)."""
    if need is None or route.entity is None:
        return []
    found = [(route.entity, need)]
    if route.parent is not None:
        found.append((route.parent, READ))
    return found


def _capability(entity: Entity, need: Right | None) -> bool:
    if need is None or need == READ:
        return need is None or entity.can_query
    if need == CREATE:
        return entity.can_create and entity.api_writable
    if need == UPDATE:
        return entity.can_update and entity.api_writable
    if need == DELETE:
        return entity.can_delete and entity.api_writable
    return True


def _autotask_has(route: Route, method: str) -> bool:
    if (route.kind, method) in NOT_IN_AUTOTASK:
        return False
    # Contacts and locations are deleted through their parent's child route only
    entity = route.entity
    return (route.kind, method) != ("item", "DELETE") or entity is None or entity.parent is None


def pick_handler(
    route: Route, method: str, *, autotask: bool = False
) -> tuple[Handler, Right | None]:
    verb = "GET" if method == "HEAD" else method
    found = HANDLERS.get((route.kind, verb))
    allowed = found is not None and (route.entity is None or _capability(route.entity, found[1]))
    allowed = allowed and (not autotask or _autotask_has(route, verb))
    if not allowed or found is None:
        raise MethodNotAllowedError(
            f"The requested resource does not support http method '{method}'."
        )
    return found


def resolve_route(path: str, services: Services) -> Route:
    return resolve(path, services.registry)
