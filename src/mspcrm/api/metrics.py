"""Prometheus metrics: requests by route and status, their latency and rate-limit
refusals; ``GET /metrics`` in the text exposition format.

One pure ASGI middleware counts every request; a route's label is its shape, never its
ids or an unknown name (``/ATServicesRest/V1.0/Companies/{id}``), so the number of series
stays bounded whatever clients send. Several worker processes (``serve --workers``) share
the counts through prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``,
set by ``serve``), so any worker's ``/metrics`` answers for all of them.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from mspcrm.domain.entity import Registry

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]
REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "mspcrm_requests",
    "Requests answered, by route shape, method and status",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "mspcrm_request_seconds",
    "Time to answer a request, by route shape",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
REFUSED = Counter(
    "mspcrm_rate_limited",
    "Requests refused by a request limit (HTTP 429), by route shape",
    ["route"],
    registry=REGISTRY,
)
NUMBER = re.compile(r"^-?\d+$")
PREFIXES = {"atservicesrest": "ATServicesRest", "v1.0": "V1.0", "api": "api", "v1": "v1"}
# the words of our routes' paths: anything else a client sends is "{name}", so a client
# cannot make new series by making up paths
ROUTE_WORDS = frozenset(
    {
        "query",
        "count",
        "entityinformation",
        "fields",
        "userdefinedfields",
        "zoneinformation",
        "versioninformation",
        "thresholdinformation",
        "duplicates",
        "check",
        "scan",
        "merges",
        "plan",
        "undo",
        "history",
        "imports",
        "exports",
        "jobs",
        "onboarding",
        "template",
        "transfer",
        "deactivate",
        "move",
        "roles",
        "contacts",
        "tree",
        "descendants",
        "rollup",
        "audit",
        "reports",
        "companies",
        "pipeline",
        "openapi.json",
        "healthz",
        "metrics",
    }
)


def route_shape(path: str, registry: Registry) -> str:
    """``/ATServicesRest/V1.0/companies/12/Contacts`` -> ``/ATServicesRest/V1.0/Companies/
    {id}/Contacts``; a segment that is neither known nor a number becomes ``{name}``."""
    shaped: list[str] = []
    for segment in (s for s in path.split("/") if s):
        shaped.append(_segment(segment, registry))
        if len(shaped) >= 6:
            break
    return "/" + "/".join(shaped)


def _segment(segment: str, registry: Registry) -> str:
    if NUMBER.match(segment):
        return "{id}"
    lowered = segment.lower()
    if lowered in PREFIXES:
        return PREFIXES[lowered]
    entity = registry.by_path(segment)
    if entity is not None:
        return entity.path
    if lowered in ROUTE_WORDS or lowered in _child_segments(registry):
        return lowered
    return "{name}"


def _child_segments(registry: Registry) -> frozenset[str]:
    return frozenset(e.parent.segment.lower() for e in registry if e.parent is not None)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, registry: Registry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._count(scope, status, time.perf_counter() - started)

    def _count(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_shape(scope["path"], self.registry)
        REQUESTS.labels(route, scope["method"], str(status)).inc()
        LATENCY.labels(route).observe(seconds)
        if status == 429:
            REFUSED.labels(route).inc()


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, for every worker process when there are
    several."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
        return generate_latest(combined), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
