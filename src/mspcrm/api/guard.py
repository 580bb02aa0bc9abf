"""What every authenticated request passes through on both surfaces: bounded input, the
security level's rights, and the request limits (one place, called by ``app`` and ``native``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from mspcrm.api.responses import error_response, unexpected_response
from mspcrm.domain.entity import Entity
from mspcrm.errors import MspcrmError, PayloadTooLargeError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.limits import timeout_error
from mspcrm.services.permissions import Right

log = logging.getLogger("mspcrm.api")


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


def authorise(services: Services, actor: Actor, entity: Entity | None, need: Right) -> None:
    """The security level's ``need`` (an entity right or an operation right) on ``entity``."""
    if entity is not None:
        services.permissions.require(actor.security_level, entity, need)


async def permit(
    services: Services, actor: Actor, entities: list[Entity], needs: tuple[Right, ...]
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
    """Count the request and hold a concurrency slot for integration code + endpoint: one
    slot per request, however long it runs; a streamed answer keeps it until its end."""
    if request.app.state.local_actor is not None:
        return await run()  # in-process CLI or agent use: not an external request
    code = request.headers.get("apiintegrationcode", "").strip().upper()
    scope = f"{code}:{endpoint}"
    limits = services.limits
    admission = limits.try_admit(scope)
    if admission is None:
        admission = await run_in_threadpool(limits.sync_admit, scope)
    held = [True]

    async def release() -> None:
        if not held[0]:
            return
        held[0] = False
        slot_id = limits.forget(admission)
        if slot_id is not None:
            await run_in_threadpool(limits.free, slot_id)

    try:
        response = await run()
    except BaseException:
        await release()
        raise
    if isinstance(response, StreamingResponse):
        response.body_iterator = _releasing(response.body_iterator, release)
        return response
    await release()
    return response


async def _releasing(
    chunks: AsyncIterable[Any], release: Callable[[], Awaitable[None]]
) -> AsyncIterator[Any]:
    """The stream, then the slot freed (also when the client leaves mid-stream)."""
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        await release()


def fault(request: Request, exc: Exception, services: Services, *, autotask: bool) -> Response:
    """A fault that is not an ``MspcrmError``: bad input or a cap in disguise (a 4xx), a
    client that went away (one log line, no 500 logged), or a real fault (logged, a 500)."""
    if isinstance(exc, ClientDisconnect):
        log.info("client disconnected mid-request: %s %s", request.method, request.url.path)
        return Response(status_code=400)  # never read: the client is gone
    known = translate(exc, services)
    if known is not None:
        return error_response(known, autotask=autotask)
    return unexpected_response(exc)


def translate(exc: Exception, services: Services) -> MspcrmError | None:
    """A fault that is really bad input or a cap, as a clear error: a number too large for
    the database's integers, a statement stopped by the query-time limit."""
    if isinstance(exc, OverflowError) or "out of range" in str(exc).lower():
        return ValidationError("A number in the request is out of range for the database")
    return timeout_error(exc, services.settings.query_timeout_seconds)
