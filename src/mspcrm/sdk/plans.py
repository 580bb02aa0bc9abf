"""Every operation of the SDK as a plan: a generator that yields the ``Call`` to make and
is sent back the decoded JSON (or thrown the mapped error).

Plans hold all the logic (routes, 404 -> None, the 405 fallback when following a
page, child routes for Contacts and CompanyLocations) and do no I/O, so the sync
``Client`` and the ``AsyncClient`` run the same code — the pattern of httpx's
``Auth.auth_flow``.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from mspcrm.errors import MethodNotAllowedError, NotFoundError, ServerError, ValidationError
from mspcrm.sdk import wire
from mspcrm.sdk.metadata import EntityDescription, describe_from
from mspcrm.sdk.query import QueryLike, to_document
from mspcrm.sdk.wire import Call

T = TypeVar("T")
Plan = Generator[Call, Any, T]
Record = dict[str, Any]
PAGE_LIMIT = 500
EVERYTHING = {"op": "exist", "field": "id"}  # Autotask wants a filter; this one matches all


def discover(base_url: str | None, username: str) -> Plan[str]:
    body = yield wire.zone_call(base_url, username)
    return wire.zone_root(body)


def _item(body: Any) -> Record | None:
    if not isinstance(body, dict):
        return None
    item = body.get("item")
    if item is None and isinstance(body.get("items"), list) and body["items"]:
        item = body["items"][0]  # attachment-style child routes answer with a list
    return item if isinstance(item, dict) else None


def get(path: str) -> Plan[Record | None]:
    """A record, or ``None`` for 404 and for ``{"item": null}``."""
    try:
        body = yield Call("GET", path)
    except NotFoundError:
        return None
    return _item(body)


def send(call: Call) -> Plan[Any]:
    return (yield call)


def _item_id(body: Any) -> int:
    try:
        return int(body["itemId"])
    except (KeyError, TypeError, ValueError):
        raise ServerError(f"The server's answer has no itemId: {body!r}") from None


def send_for_id(call: Call) -> Plan[int]:
    return _item_id((yield call))


def child_write(path: str, method: str, body: Mapping[str, Any]) -> Plan[int]:
    return (yield from send_for_id(Call(method, path, json=dict(body))))


def write(entity: str, method: str, body: Mapping[str, Any]) -> Plan[int]:
    """POST / PATCH / PUT; under the parent for entities Autotask writes only there."""
    route = wire.CHILD_WRITES.get(entity.lower())
    if route is None:
        return (yield from send_for_id(Call(method, wire.entity_path(entity), json=dict(body))))
    parent_id = wire.body_value(body, route.field)
    if parent_id is None and method != "POST":
        parent_id = yield from _parent_of(entity, route, wire.body_value(body, "id"))
    if parent_id is None:
        raise ValidationError(f"{route.field} is required to write {entity}")
    path = wire.entity_path(route.parent, parent_id, route.segment)
    return (yield from send_for_id(Call(method, path, json=dict(body))))


def _parent_of(entity: str, route: wire.ChildWrite, record_id: Any) -> Plan[Any]:
    if record_id is None:
        raise ValidationError(f"id is required to update {entity}")
    record = yield from get(wire.entity_path(entity, record_id))
    if record is None:
        raise NotFoundError(f"{entity} {record_id} not found")
    return wire.body_value(record, route.field)


def delete(entity: str, record_id: int, parent_id: int | None = None) -> Plan[None]:
    route = wire.CHILD_WRITES.get(entity.lower())
    if route is None:
        yield Call("DELETE", wire.entity_path(entity, record_id))
        return None
    if parent_id is None:
        parent_id = yield from _parent_of(entity, route, record_id)
    yield Call("DELETE", wire.entity_path(route.parent, parent_id, route.segment, record_id))
    return None


def count(entity: str, what: QueryLike) -> Plan[int]:
    document = to_document(what)
    document.pop("MaxRecords", None)
    document.pop("IncludeFields", None)
    if not document["filter"]:
        document["filter"] = [EVERYTHING]
    body = yield Call("POST", wire.entity_path(entity, "query", "count"), json=document)
    try:
        return int(body["queryCount"])
    except (KeyError, TypeError, ValueError):
        raise ServerError(f"The server's answer has no queryCount: {body!r}") from None


def metadata(entity: str, *tail: str) -> Plan[Any]:
    """``entityInformation`` -> ``info``; ``.../fields`` and ``.../userDefinedFields`` -> list."""
    body = yield Call("GET", wire.entity_path(entity, "entityInformation", *tail))
    key = "fields" if tail else "info"
    if not isinstance(body, dict) or key not in body:
        raise ServerError(f"The server's entityInformation answer has no {key}: {body!r}")
    return body[key]


def describe(entity: str) -> Plan[EntityDescription]:
    return describe_from(entity, (yield from metadata(entity, "fields")))


# ---- paging ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    items: list[Record]
    next: Call | None


class Pager:
    """Walks ``pageDetails.nextPageUrl`` from a first call, at most ``limit`` records.

    The next page is asked for with the first call's method and body (POST with the
    original query); a 405 on a POST falls back to GET, as some Autotask zones need.
    """

    def __init__(self, first: Call, limit: int | None = None) -> None:
        self.first = first
        self.remaining = limit

    def fetch(self, call: Call) -> Plan[Page]:
        try:
            body = yield call
        except MethodNotAllowedError:
            if call is self.first or call.method != "POST":
                raise
            body = yield replace(call, method="GET", json=None)
        return self._page(body)

    def _page(self, body: Any) -> Page:
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ServerError(f"The server's page has no items list: {str(body)[:200]}")
        if self.remaining is not None:
            items, self.remaining = items[: self.remaining], self.remaining - len(items)
        details = body.get("pageDetails") or {}
        url = details.get("nextPageUrl") if isinstance(details, dict) else None
        if not url or not items or (self.remaining is not None and self.remaining <= 0):
            return Page(items, None)
        return Page(items, replace(self.first, path=wire.rebase(url), params=None))


def query_pager(
    entity: str,
    what: QueryLike,
    *,
    include_fields: Iterable[str] | None = None,
    max_records: int | None = None,
) -> Pager:
    """``max_records`` (or the query's own) caps the records returned, across pages."""
    document = to_document(what, include_fields=include_fields, max_records=max_records)
    limit = document.get("MaxRecords")
    if limit is not None:
        document["MaxRecords"] = min(int(limit), PAGE_LIMIT)
    if not document["filter"]:
        document["filter"] = [EVERYTHING]
    call = Call("POST", wire.entity_path(entity, "query"), json=document)
    return Pager(call, int(limit) if limit is not None else None)


def children_pager(path: str) -> Pager:
    return Pager(Call("GET", path))
