"""Who is calling: the three Autotask headers (any letter case), or the in-process actor.

An optional ``X-Mspcrm-Context`` header (at most 100 characters) says on whose
behalf an integration acts (an agent and the person behind it); it is kept in
the entity history of every write the request makes.
"""

from __future__ import annotations

from dataclasses import replace

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from mspcrm.services.context import Actor
from mspcrm.services.crm import Services

CONTEXT_HEADER = "x-mspcrm-context"
MAX_CONTEXT = 100


def actor_from_request(request: Request, services: Services) -> Actor:
    local: Actor | None = request.app.state.local_actor
    if local is not None:
        return local  # in-process use by the CLI or the agent interface only (see create_app)
    headers = request.headers
    actor = services.auth.actor(
        username=headers.get("username", "").strip(),
        secret=headers.get("secret", ""),
        integration_code=headers.get("apiintegrationcode", "").strip(),
        impersonate=headers.get("impersonationresourceid", "").strip() or None,
        client=request.client.host if request.client else "",
    )
    return _with_context(actor, headers.get(CONTEXT_HEADER, ""))


def cached_actor(request: Request, services: Services) -> Actor | None:
    """``actor_from_request`` when no database work is needed (a credential verified within
    the cache time, no impersonation), else None: safe to call on the event loop."""
    local: Actor | None = request.app.state.local_actor
    if local is not None:
        return local
    headers = request.headers
    if headers.get("impersonationresourceid", "").strip():
        return None
    actor = services.auth.cached_actor(
        headers.get("username", "").strip(),
        headers.get("secret", ""),
        headers.get("apiintegrationcode", "").strip(),
    )
    return None if actor is None else _with_context(actor, headers.get(CONTEXT_HEADER, ""))


async def caller(request: Request, services: Services) -> Actor:
    """Who is calling: from the caches on the event loop, else verified in a worker thread."""
    actor = cached_actor(request, services)
    if actor is None:
        actor = await run_in_threadpool(actor_from_request, request, services)
    return actor


def _with_context(actor: Actor, raw: str) -> Actor:
    context = raw.strip()[:MAX_CONTEXT]
    return replace(actor, context=context) if context else actor
