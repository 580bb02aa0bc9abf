"""The event feed: ``GET /api/v1/events?after=N`` (long-poll), for consumers that cannot
receive callouts. Same payloads as the callouts (``Guid`` null), numbered by one
sequence across the feed; same credentials and rights as the rest of ``/api/v1`` (read
on every entity: the feed reports them all)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from mspcrm.api.access import READ_ALL
from mspcrm.api.native import endpoint, query_int
from mspcrm.errors import ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services

MAX_WAIT_SECONDS = 60
DEFAULT_WAIT_SECONDS = 25
POLL_SECONDS = 0.2


def _bounded(request: Request, name: str, default: int, low: int, high: int) -> int:
    value = query_int(request, name)
    value = default if value is None else value
    if not low <= value <= high:
        raise ValidationError(f"{name} must be from {low} to {high}, not {value}")
    return value


async def events(request: Request, services: Services, actor: Actor) -> Any:
    after = _bounded(request, "after", 0, 0, 2**63 - 1)
    limit = _bounded(request, "limit", 100, 1, 500)
    wait = _bounded(request, "wait", DEFAULT_WAIT_SECONDS, 0, MAX_WAIT_SECONDS)
    deadline = time.monotonic() + wait
    while True:
        items = await run_in_threadpool(services.webhooks.events, after, limit)
        if items or time.monotonic() >= deadline or await request.is_disconnected():
            break
        await asyncio.sleep(POLL_SECONDS)
    last = items[-1]["SequenceNumber"] if items else after
    return {"events": items, "after": after, "next": last}


def routes() -> list[Route]:
    return [Route("/api/v1/events", endpoint(events, READ_ALL), methods=["GET"])]
