"""Where requests go: the API root, zone discovery, entity names and child routes.

Pure functions and data; nothing here sends anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from mspcrm.sdk.declared import DECLARED_ENTITIES

DEFAULT_ROOT = "https://webservices.autotask.net"
API_SEGMENT = "ATServicesRest"
VERSION = "V1.0"
UNLIMITED_ENDPOINTS = ("zoneinformation", "versioninformation")


@dataclass(frozen=True)
class Call:
    """One request to make: ``path`` is relative to the API root (``.../ATServicesRest/``)
    or an absolute URL; ``authenticated`` calls carry the three Autotask headers."""

    method: str
    path: str
    json: Any = None
    params: Mapping[str, str] | None = None
    authenticated: bool = True

    @property
    def absolute(self) -> bool:
        return self.path.startswith(("http://", "https://"))


def api_root(base_url: str | None) -> str | None:
    """``.../ATServicesRest/`` when ``base_url`` already names it, else ``None`` (discover)."""
    if base_url is None:
        return None
    marker = f"/{API_SEGMENT.lower()}"
    lowered = base_url.lower()
    at = lowered.find(marker)
    if at < 0:
        return None
    return base_url[: at + len(marker)] + "/"


def zone_call(base_url: str | None, username: str) -> Call:
    """``GET {root}/ATServicesRest/V1.0/ZoneInformation?user=...``; no credentials sent."""
    root = (base_url or DEFAULT_ROOT).rstrip("/")
    url = f"{root}/{API_SEGMENT}/{VERSION}/ZoneInformation"
    return Call("GET", url, params={"user": username}, authenticated=False)


def zone_root(body: Any) -> str:
    """The API root from a ZoneInformation answer, always ending in ``/``."""
    url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"ZoneInformation did not name a zone url: {body!r}")
    return api_root(url) or url.rstrip("/") + "/"


def rebase(url: str) -> str:
    """A server-made URL (``nextPageUrl``) as a path under our root, so a proxy's idea of its
    own host does not matter and credentials never go to another host."""
    marker = f"/{API_SEGMENT.lower()}/"
    at = url.lower().find(marker)
    if at < 0 or not url.startswith(("http://", "https://")):
        return url
    return url[at + len(marker) :]


def endpoint_key(url: str) -> str | None:
    """The endpoint a request counts against for the thread limit (the entity), or ``None``."""
    path = urlsplit(url).path
    parts = [p.lower() for p in path.split("/") if p]
    if API_SEGMENT.lower() in parts:
        parts = parts[parts.index(API_SEGMENT.lower()) + 1 :]
    if parts and parts[0] == VERSION.lower():
        parts = parts[1:]
    if not parts or parts[0] in UNLIMITED_ENDPOINTS:
        return None
    return parts[0]


def entity_path(*segments: object) -> str:
    return "/".join([VERSION, *(quote(str(s), safe="") for s in segments)])


# ---- names ---------------------------------------------------------------------------------
# (REST path, singular name) of the entities this SDK knows by attribute: every entity an
# mspcrm server declares (generated, ``declared.py``) and more of Autotask's; any other path
# still works through ``client.entity("Name")``.
AUTOTASK_ENTITIES: tuple[tuple[str, str], ...] = (
    ("CompanyToDos", "CompanyToDo"),
    ("ConfigurationItems", "ConfigurationItem"),
    ("ContactGroups", "ContactGroup"),
    ("Projects", "Project"),
    ("Tickets", "Ticket"),
    ("TicketNotes", "TicketNote"),
    ("TimeEntries", "TimeEntry"),
)
KNOWN_ENTITIES: tuple[tuple[str, str], ...] = tuple(
    dict.fromkeys((*DECLARED_ENTITIES, *AUTOTASK_ENTITIES))
)
_BY_NAME = {key.lower(): path for path, singular in KNOWN_ENTITIES for key in (path, singular)}


def known_path(name: str) -> str | None:
    """``"companies"``, ``"company_locations"``, ``"Company"`` -> the REST path, if known."""
    return _BY_NAME.get(name.replace("_", "").lower())


@dataclass(frozen=True)
class ChildWrite:
    """Writes of an entity that real Autotask takes only under its parent."""

    parent: str  # the parent's REST path
    segment: str  # the child segment under the parent
    field: str  # the body field that holds the parent id


CHILD_WRITES: dict[str, ChildWrite] = {
    "contacts": ChildWrite("Companies", "Contacts", "companyID"),
    "companylocations": ChildWrite("Companies", "Locations", "companyID"),
}


def body_value(body: Mapping[str, Any], name: str) -> Any:
    """A body field in any letter case (servers read them case-insensitively)."""
    lowered = name.lower()
    return next((v for k, v in body.items() if str(k).lower() == lowered), None)
