"""The one permission model: every route of the app declares what it needs, as data.

A declaration (``Access``) says how the route finds its entity (``Find``) and the rights
(``Right``: read, create, update, delete, or an operation right such as import, export)
the caller's security level must hold on it. The dispatchers (``native.endpoint`` for
``/api/v1``, ``app`` for ``/ATServicesRest`` whose route table is ``autotask.HANDLERS``)
enforce it before the handler runs, and ``check_declared`` refuses to build an app with a
route that declares nothing. The permissions-matrix test reads the same declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from mspcrm.domain.entity import Entity, Registry
from mspcrm.services.permissions import Right


class Find(Enum):
    """How a route finds the entity its rights are checked on."""

    ROUTE = "route"  # the Autotask path (the route table: autotask.HANDLERS)
    PATH = "path"  # the ``{entity}`` path parameter (a name or path, any case)
    BODY = "body"  # the body's ``entity``
    ALL = "all"  # every entity (work across the whole CRM: audit, onboarding, undo)
    NONE = "none"  # no entity: any authenticated caller, or anyone when public
    SESSION = "session"  # a web page: web/guard.page checks the signed-in resource's rights


@dataclass(frozen=True)
class Access:
    """What a route needs. ``dry_run``: the rights instead when ``?dryRun=true``;
    ``referrers``: read on every entity that references the entity too (what a merge
    moves); ``public``: no credentials at all."""

    rights: tuple[Right, ...]
    find: Find
    dry_run: tuple[Right, ...] | None = None
    referrers: bool = False
    public: bool = False

    def __post_init__(self) -> None:
        if self.public and (self.rights or self.find is not Find.NONE):
            raise ValueError("A public route needs no rights and names no entity")
        if not self.public and self.find is Find.NONE and self.rights:
            raise ValueError("Rights need an entity to be checked on (find)")

    def needs(self, *, dry_run: bool = False) -> tuple[Right, ...]:
        if dry_run and self.dry_run is not None:
            return self.dry_run
        return self.rights


PUBLIC = Access((), Find.NONE, public=True)
AUTHENTICATED = Access((), Find.NONE)  # any API user, whatever the level
READ_ALL = Access((Right.READ,), Find.ALL)
WRITE_ALL = Access((Right.CREATE, Right.UPDATE, Right.DELETE), Find.ALL)
AUTOTASK = Access((), Find.ROUTE)  # the route table declares each (kind, method)
WEB_PAGE = Access((), Find.SESSION)  # its rights are declared with web/guard.page

ATTRIBUTE = "mspcrm_access"


def declare(endpoint: Callable[..., Any], access: Access) -> None:
    """Attach ``access`` to a route's endpoint (read by ``declared`` and the tests)."""
    setattr(endpoint, ATTRIBUTE, access)


def declared(endpoint: Callable[..., Any]) -> Access | None:
    found = getattr(endpoint, ATTRIBUTE, None)
    return found if isinstance(found, Access) else None


class UndeclaredRouteError(RuntimeError):
    """A route of the app says nothing about the rights it needs: the app does not start."""


def check_declared(routes: Iterable[Any]) -> None:
    """Every route's endpoint carries an ``Access``; else ``UndeclaredRouteError``."""
    missing = [
        getattr(route, "path", repr(route)) for route in routes if declared(_target(route)) is None
    ]
    if missing:
        raise UndeclaredRouteError(
            "Routes without a permission declaration (api/access.py): " + ", ".join(missing)
        )


def _target(route: Any) -> Any:
    """What a route runs: a Route's endpoint, a Mount's app."""
    return getattr(route, "endpoint", None) or getattr(route, "app", None) or _no_endpoint


def _no_endpoint() -> None:  # a route that runs nothing has no declaration either
    return None


def declare_pages(routes: Iterable[Any]) -> None:
    """The web pages: static files are public; every other page declares its rights with
    ``web/guard.page`` (sign-in, CSRF, the signed-in resource's level), checked there."""
    for route in routes:
        target = _target(route)
        declare(target, WEB_PAGE if hasattr(route, "endpoint") else PUBLIC)


def with_referrers(registry: Registry, entities: list[Entity]) -> list[Entity]:
    """``entities`` and every entity holding a reference to one of them."""
    names = {e.name for e in entities}
    referring = [
        e
        for e in registry
        if e.name not in names and any(f.reference in names and not f.read_only for f in e.fields)
    ]
    return [*entities, *referring]
