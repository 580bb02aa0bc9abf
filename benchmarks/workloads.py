"""The workloads. Each runs A/B interleaved against the baseline and returns raw samples.

A ``Bench`` holds the two running servers and the run's bounds; every workload
returns a dict with the per-repetition summaries of both sides and the median
ratio, which ``report`` turns into the table.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from benchmarks import fake
from benchmarks.generate import DataSet
from benchmarks.load import Request, Result, fetch, run_load
from benchmarks.servers import Server
from mspcrm.domain.entities import COMPANY
from mspcrm.store import repository
from mspcrm.store.database import Database

AT = "/ATServicesRest/V1.0"
PAGES = 200  # requests per run of a page workload (enough for a p95)


@dataclass
class Bench:
    data: DataSet
    server: Server
    baseline: Server
    reps: int
    requests: int
    seconds: float
    seed: int

    @property
    def headers(self) -> dict[str, str]:
        return self.data.headers()

    def load(
        self,
        server: Server,
        make: Callable[[int], Request],
        connections: int,
        max_requests: int | None = None,
    ) -> Result:
        headers = self.headers if server is self.server else {}
        return run_load(
            server.port,
            make,
            headers=headers,
            connections=connections,
            max_requests=min(self.requests, max_requests or self.requests),
            max_seconds=self.seconds,
        )

    def ab(
        self,
        base: Callable[[], Result],
        ours: Callable[[], Result],
        ratio: Callable[[Result, Result], float],
    ) -> dict[str, Any]:
        """Interleave baseline and server runs (alternating which goes first)."""
        samples, ratios = [], []
        for rep in range(self.reps):
            if rep % 2 == 0:
                b, o = base(), ours()
            else:
                o, b = ours(), base()
            samples.append({"baseline": b.summary(), "mspcrm": o.summary()})
            ratios.append(ratio(o, b))
        return {"samples": samples, "ratio": statistics.median(ratios), "ratios": ratios}


def _median(result: dict[str, Any], side: str, key: str) -> float:
    return float(statistics.median(s[side][key] for s in result["samples"]))


def _ids(bench: Bench, salt: int) -> list[int]:
    rng = random.Random(bench.seed * 1000 + salt)
    return [rng.randint(1, bench.data.companies) for _ in range(bench.requests)]


def get_by_id(bench: Bench, connections: int) -> dict[str, Any]:
    ids = _ids(bench, connections)

    def ours(n: int) -> Request:
        return ("GET", f"{AT}/Companies/{ids[n % len(ids)]}", None)

    def base(n: int) -> Request:
        return ("GET", f"/item/{ids[n % len(ids)]}", None)

    out = bench.ab(
        lambda: bench.load(bench.baseline, base, connections),
        lambda: bench.load(bench.server, ours, connections),
        lambda o, b: o.rps / b.rps if b.rps else float("nan"),
    )
    out["rps"] = _median(out, "mspcrm", "rps")
    out["baseline_rps"] = _median(out, "baseline", "rps")
    out["p99_ms"] = _median(out, "mspcrm", "p99_ms")
    out["baseline_p99_ms"] = _median(out, "baseline", "p99_ms")
    return out


def query_page(bench: Bench, name: str, document: dict[str, Any]) -> dict[str, Any]:
    """One 500-row page, sequentially: server latency over the baseline's for the same SQL."""
    body = orjson.dumps(document)
    out = bench.ab(
        lambda: bench.load(bench.baseline, lambda n: ("GET", f"/page/{name}", None), 1, PAGES),
        lambda: bench.load(
            bench.server, lambda n: ("POST", f"{AT}/Companies/query", body), 1, PAGES
        ),
        lambda o, b: o.percentile(0.5) / b.percentile(0.5),
    )
    out["p50_ms"] = _median(out, "mspcrm", "p50_ms")
    out["p95_ms"] = _median(out, "mspcrm", "p95_ms")
    out["baseline_p50_ms"] = _median(out, "baseline", "p50_ms")
    status, answer = fetch(
        bench.server.port, "POST", f"{AT}/Companies/query", document, bench.headers
    )
    out["rows"] = len(answer.get("items", [])) if status == 200 else None
    return out


def paging(bench: Bench, entity_path: str = "Companies") -> dict[str, Any]:
    """Walk a whole entity by nextPageUrl; then time page 1 against the last page, interleaved."""
    document = {"filter": [{"op": "gte", "field": "id", "value": 0}]}
    started = time.perf_counter()
    status, answer = fetch(
        bench.server.port, "POST", f"{AT}/{entity_path}/query", document, bench.headers
    )
    urls, rows = [], len(answer["items"])
    full = []  # the pages that came back full: the late page compared must be one of them
    next_url = answer["pageDetails"]["nextPageUrl"]
    while next_url:
        split = urlsplit(next_url)
        path = f"{split.path}?{split.query}"
        urls.append(path)
        status, answer = fetch(bench.server.port, "GET", path, None, bench.headers)
        if status != 200:
            raise RuntimeError(f"paging failed on page {len(urls) + 1}: {status} {answer}")
        rows += len(answer["items"])
        if len(answer["items"]) == answer["pageDetails"]["requestCount"]:
            full.append((len(urls) + 1, path))
        next_url = answer["pageDetails"]["nextPageUrl"]
    walk = time.perf_counter() - started
    if not full:
        return {"pages": len(urls) + 1, "rows": rows, "walk_seconds": walk, "ratio": float("nan")}
    first_body = orjson.dumps(document)
    late_number, late = full[-1]
    out = bench.ab(
        lambda: bench.load(
            bench.server, lambda n: ("POST", f"{AT}/{entity_path}/query", first_body), 1
        ),
        lambda: bench.load(bench.server, lambda n: ("GET", late, None), 1),
        lambda o, b: o.percentile(0.5) / b.percentile(0.5),
    )
    out.update(pages=len(urls) + 1, late_page=late_number, rows=rows, walk_seconds=round(walk, 3))
    out["first_p50_ms"] = _median(out, "baseline", "p50_ms")
    out["late_p50_ms"] = _median(out, "mspcrm", "p50_ms")
    return out


def _new_company(rng: random.Random, tag: str) -> bytes:
    row = fake.company(rng, 0, 0)
    body = {
        "companyName": f"{row['companyName']} {tag}",
        "companyType": row["companyType"],
        "phone": row["phone"],
        "city": row["city"],
        "webAddress": row["webAddress"],
    }
    return orjson.dumps(body)


def mixed_crud(bench: Bench, connections: int = 16) -> dict[str, Any]:
    """80% GET by id, 15% PATCH, 5% POST (companies are never deleted in Autotask)."""
    rng = random.Random(bench.seed + 16)
    ids = _ids(bench, 16)
    run_tag = f"m{int(time.time() * 1000) % 10_000_000}"
    plan = []
    for n in range(bench.requests):
        roll = rng.random()
        if roll < 0.80:
            plan.append(("GET", f"{AT}/Companies/{ids[n]}", None))
        elif roll < 0.95:
            patch = {"id": ids[n], "phone": f"(555) 01{n % 10}-{n % 10_000:04d}"}
            plan.append(("PATCH", f"{AT}/Companies", orjson.dumps(patch)))
        else:
            plan.append(("POST", f"{AT}/Companies", _new_company(rng, f"{run_tag}-{n}")))
    counter = iter(range(10**9))

    def ours(n: int) -> Request:
        return plan[n % len(plan)]

    def base(n: int) -> Request:
        return ("GET", f"/item/{ids[next(counter) % len(ids)]}", None)

    # each repetition replays the plan with fresh company names
    def run_ours() -> Result:
        nonlocal plan
        result = bench.load(bench.server, ours, connections)
        plan = [_fresh(p, rng) for p in plan]
        return result

    out = bench.ab(
        lambda: bench.load(bench.baseline, base, connections),
        run_ours,
        lambda o, b: o.rps / b.rps if b.rps else float("nan"),
    )
    out["rps"] = _median(out, "mspcrm", "rps")
    out["p99_ms"] = _median(out, "mspcrm", "p99_ms")
    return out


def _fresh(request: Request, rng: random.Random) -> Request:
    method, path, _body = request
    if method == "POST":
        return (method, path, _new_company(rng, f"r{rng.randint(0, 10**12)}"))
    return request


def durable_writes(bench: Bench, connections: int = 4) -> dict[str, Any]:
    """Company creates per second (synchronous=FULL as shipped) vs one durable raw INSERT."""
    rng = random.Random(bench.seed + 4)

    def ours(n: int) -> Request:
        return ("POST", f"{AT}/Companies", _new_company(rng, f"w{rng.randint(0, 10**12)}"))

    def base(n: int) -> Request:
        return ("POST", "/write", b'{"companyName":"x"}')

    out = bench.ab(
        lambda: bench.load(bench.baseline, base, connections),
        lambda: bench.load(bench.server, ours, connections),
        lambda o, b: o.rps / b.rps if b.rps else float("nan"),
    )
    out["rps"] = _median(out, "mspcrm", "rps")
    out["baseline_rps"] = _median(out, "baseline", "rps")
    return out


def existing_companies(data: DataSet, ids: list[int]) -> list[dict[str, Any]]:
    """Stored companies (wire names), as the scorer reads them."""
    db = Database(data.url)
    with db.read() as conn:
        rows = repository.get_many(conn, COMPANY, ids)
    db.dispose()
    return rows


def duplicate_check(bench: Bench) -> dict[str, Any]:
    """New records that resemble existing ones (and some that don't), one at a time: p95."""
    rng = random.Random(bench.seed + 30)
    originals = bench.data.companies - len(bench.data.truth)
    wanted = [rng.randint(1, originals) for _ in range(min(bench.requests, 1000))]
    bodies = []
    for n, source in enumerate(existing_companies(bench.data, wanted)):
        row = fake.near_duplicate(rng, source, 0) if n % 2 else fake.company(rng, 0, 0)
        body = {k: row[k] for k in ("companyName", "phone", "webAddress", "city", "postalCode")}
        bodies.append(orjson.dumps(body))
    ids = _ids(bench, 30)
    out = bench.ab(
        lambda: bench.load(bench.baseline, lambda n: ("GET", f"/item/{ids[n]}", None), 1),
        lambda: bench.load(
            bench.server,
            lambda n: ("POST", "/api/v1/Companies/duplicates/check", bodies[n % len(bodies)]),
            1,
        ),
        lambda o, b: o.percentile(0.95) / b.percentile(0.95),
    )
    out["p95_ms"] = _median(out, "mspcrm", "p95_ms")
    out["p50_ms"] = _median(out, "mspcrm", "p50_ms")
    out["baseline_p95_ms"] = _median(out, "baseline", "p95_ms")
    return out
