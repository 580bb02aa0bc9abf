"""Who is calling: the three Autotask headers (any letter case), or the in-process actor.

An optional ``X-Mspcrm-Context`` header (at most 100 characters) says on whose
behalf an integration acts (an agent and the person behind it); it is kept in
the entity history of every write the request makes.
"""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request

from mspcrm.services.context import Actor
from mspcrm.services.crm import Services

CONTEXT_HEADER = "x-mspcrm-context"
MAX_CONTEXT = 100


def actor_from_request(request: Request, services: Services) -> Actor:
    headers = request.headers
    local: Actor | None = request.app.state.local_actor
    if local is not None:
        return local  # in-process use by the CLI or the agent interface only (see create_app)
    actor = services.auth.actor(
        username=headers.get("username", "").strip(),
        secret=headers.get("secret", ""),
        integration_code=headers.get("apiintegrationcode", "").strip(),
        impersonate=headers.get("impersonationresourceid", "").strip() or None,
        client=request.client.host if request.client else "",
    )
    context = headers.get(CONTEXT_HEADER, "").strip()[:MAX_CONTEXT]
    return replace(actor, context=context) if context else actor
