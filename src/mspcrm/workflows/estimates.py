"""A good citizen of the tenant's limits: before a job that needs many requests, an
estimate against ``ThresholdInformation`` ("this audit needs about 2,400 requests, 24% of
the hourly threshold; --yes to go on")."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from mspcrm.errors import ConflictError
from mspcrm.workflows.port import IN_LIMIT, Port

ASK_ABOVE = 300  # requests: more than this and the job asks first
PAGE = IN_LIMIT  # records a query page holds


def paged_requests(port: Port, entities: Iterable[str], per_entity: int = 1) -> int:
    """Requests to page through every record of ``entities`` ``per_entity`` times (one
    count query each to know: the estimate's own cost)."""
    return sum(per_entity * max(1, math.ceil(port.count(e, []) / PAGE)) for e in entities)


def check(job: str, needed: int, threshold: Mapping[str, Any], *, yes: bool) -> None:
    """Refuse a job of more than ``ASK_ABOVE`` requests unless ``yes``, saying how much of
    the hourly threshold it takes."""
    if yes or needed <= ASK_ABOVE:
        return
    limit = int(threshold.get("externalRequestThreshold") or 0)
    used = int(threshold.get("currentTimeframeRequestCount") or 0)
    share = f", {needed * 100 // limit}% of the hourly threshold ({used} of {limit} used)"
    raise ConflictError(
        f"This {job} needs about {needed:,} requests{share if limit else ''}; --yes to go on"
    )
