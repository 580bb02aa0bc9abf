"""What every authenticated request passes through on both surfaces: bounded input, the
security level's rights, and the request limits (one place, called by ``app`` and ``native``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mspcrm.domain.entity import Entity
from mspcrm.errors import MspcrmError, PayloadTooLargeError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.limits import timeout_error

METADATA_KINDS = ("info", "fields", "udfs", "threshold")  # readable at every level


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, refused as soon as it is known to be over ``max_bytes`` (never read whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLargeError(f"The request body is over {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLargeError(f"The request body is over {max_bytes} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # later request.body() calls get the same bytes
    return body


def parse_json(raw: bytes, max_depth: int) -> Any:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "recursion" in str(exc).lower() or "depth limit" in str(exc).lower():
            raise PayloadTooLargeError(f"The JSON body is nested deeper than {max_depth}") from None
        raise ValidationError(f"The request body is not valid JSON: {exc}") from None
    if json_depth(value, max_depth) > max_depth:
        raise PayloadTooLargeError(f"The JSON body is nested deeper than {max_depth} levels")
    return value


def json_depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value (iterative; stops counting past ``limit``)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
    return deepest


def authorise(services: Services, actor: Actor, entity: Entity | None, need: str) -> None:
    """The security level's rights for ``need`` (create/read/update/delete) on ``entity``."""
    if entity is not None and need:
        services.permissions.require(actor.security_level, entity, need)


async def permit(
    services: Services, actor: Actor, entities: list[Entity], needs: tuple[str, ...]
) -> None:
    """``authorise`` every need on every entity; on the event loop when the level is cached."""

    def check() -> None:
        for need in needs:
            for entity in entities:
                authorise(services, actor, entity, need)

    if services.permissions.cached(actor.security_level) is not None:
        check()
    else:
        await run_in_threadpool(check)


async def limited(
    request: Request, services: Services, endpoint: str, run: Callable[[], Awaitable[Response]]
) -> Response:
    """Count the request and hold a concurrency slot for integration code + endpoint."""
    if request.app.state.local_actor is not None:
        return await run()  # in-process CLI or agent use: not an external request
    code = request.headers.get("apiintegrationcode", "").strip().upper()
    scope = f"{code}:{endpoint}"
    limits = services.limits
    admission = limits.try_admit(scope)
    if admission is None:
        admission = await run_in_threadpool(limits.sync_admit, scope)
    try:
        return await run()
    finally:
        slot_id = limits.forget(admission)
        if slot_id is not None:
            await run_in_threadpool(limits.free, slot_id)


def translate(exc: Exception, services: Services) -> MspcrmError | None:
    """A fault that is really bad input or a cap, as a clear error: a number too large for
    the database's integers, a statement stopped by the query-time limit."""
    if isinstance(exc, OverflowError) or "out of range" in str(exc).lower():
        return ValidationError("A number in the request is out of range for the database")
    return timeout_error(exc, services.settings.query_timeout_seconds)
