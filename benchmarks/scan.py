"""Whole-table duplicate scan: its time, and its recall two ways; and the duplicate check.

* planted: of the near-duplicates the generator planted, how many pairs the scan
  put in one cluster;
* brute force: on a sample (planted pairs plus random companies), every pair is
  scored by the same scorer; of the pairs scoring ``matched``, how many the scan
  (which only compares records sharing a blocking key) found.

``python -m benchmarks.scan [--size S|L] [--companies N] [--http]`` measures both on a
scratch copy of a cached data set (the cached file is never written or read by the
server): in process, and with ``--http`` through a server too: the scan's seconds,
extrapolated per million, recall, memory, and the check's p50/p95 over new records
that resemble existing ones (and some that do not), one at a time.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path
from typing import Any

from benchmarks import fake
from benchmarks.generate import DATA_DIR, DataSet, _load
from benchmarks.load import fetch, run_load
from benchmarks.sizes import size_named
from benchmarks.workloads import Bench, existing_companies
from mspcrm.domain.duplicates import MATCHED, score_company

SAMPLE_PAIRS = 100
SAMPLE_OTHERS = 200
CHECKS = 400


def whole_table_scan(bench: Bench, reps: int) -> dict[str, Any]:
    times, answer = [], None
    for _ in range(reps):
        started = time.perf_counter()
        status, answer = fetch(
            bench.server.port, "POST", "/api/v1/Companies/duplicates/scan", {}, bench.headers
        )
        if status != 200:
            raise RuntimeError(f"scan failed: {status} {answer}")
        times.append(time.perf_counter() - started)
    assert answer is not None
    seconds = sorted(times)[len(times) // 2]
    return {
        **scan_figures(bench.data, answer["clusters"], seconds),
        "samples": times,
        **brute_force_recall(bench.data, bench.seed, cluster_index(answer["clusters"])),
    }


def cluster_index(clusters: list[dict[str, Any]]) -> dict[int, int]:
    """Record id -> the number of its cluster."""
    return {record_id: n for n, found in enumerate(clusters) for record_id in found["ids"]}


def scan_figures(data: DataSet, clusters: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    cluster_of = cluster_index(clusters)
    truth = data.truth
    planted_found = sum(1 for a, b in truth if _together(cluster_of, a, b))
    rows = data.companies + 1
    return {
        "seconds": round(seconds, 3),
        "rows": rows,
        "rows_per_second": round(rows / seconds, 1),
        "seconds_per_million": round(seconds * 1_000_000 / rows, 1),
        "clusters": len(clusters),
        "planted_pairs": len(truth),
        "planted_recall": round(planted_found / len(truth), 4) if truth else None,
    }


def _together(cluster_of: dict[int, int], a: int, b: int) -> bool:
    return a in cluster_of and cluster_of.get(a) == cluster_of.get(b)


def brute_force_recall(data: DataSet, seed: int, cluster_of: dict[int, int]) -> dict[str, Any]:
    rng = random.Random(seed + 60)
    truth = data.truth
    pairs = rng.sample(truth, min(SAMPLE_PAIRS, len(truth)))
    ids = {i for pair in pairs for i in pair}
    ids.update(rng.randint(1, data.companies) for _ in range(SAMPLE_OTHERS))
    records = existing_companies(data, sorted(ids))
    started = time.perf_counter()
    matched = [
        (a["id"], b["id"])
        for a, b in combinations(records, 2)
        if score_company(a, b).verdict == MATCHED
    ]
    found = sum(1 for a, b in matched if _together(cluster_of, a, b))
    return {
        "sample_records": len(records),
        "brute_force_pairs": len(matched),
        "brute_force_seconds": round(time.perf_counter() - started, 2),
        "brute_force_recall": round(found / len(matched), 4) if matched else None,
    }


def check_bodies(data: DataSet, seed: int, count: int) -> list[dict[str, Any]]:
    """What ``workloads.duplicate_check`` sends: half near-duplicates, half new companies."""
    rng = random.Random(seed + 30)
    originals = data.companies - len(data.truth)
    wanted = [rng.randint(1, originals) for _ in range(count)]
    bodies = []
    for n, source in enumerate(existing_companies(data, wanted)):
        row = fake.near_duplicate(rng, source, 0) if n % 2 else fake.company(rng, 0, 0)
        bodies.append(
            {k: row[k] for k in ("companyName", "phone", "webAddress", "city", "postalCode")}
        )
    return bodies


def _log(message: str) -> None:
    print(f"[scan {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _quantiles(samples: list[float]) -> dict[str, Any]:
    cuts = statistics.quantiles(samples, n=20)
    return {
        "count": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(cuts[18], 2),
    }


def measure(data: DataSet, seed: int, checks: int, http: bool) -> dict[str, Any]:
    """Scan and check on a scratch copy: in this process, then (``http``) through a server."""
    from mspcrm.config import Settings
    from mspcrm.services.crm import build_services

    with tempfile.TemporaryDirectory(prefix="mspcrm-scan-", dir=DATA_DIR) as scratch:
        path = Path(scratch) / Path(data.url).name
        shutil.copyfile(data.url, path)
        copy = DataSet(**{**data.__dict__, "url": str(path)})  # reads never touch the cache
        out: dict[str, Any] = {"size": data.size, "companies": data.companies}
        started = time.perf_counter()
        services = build_services(Settings(database_url=str(path), sqlite_sync="OFF"))
        out["start_seconds"] = round(time.perf_counter() - started, 2)
        _log(f"started in {out['start_seconds']} s (migrations, key rebuild if any)")
        bodies = check_bodies(copy, seed, checks)
        try:
            samples = []
            for body in bodies:
                began = time.perf_counter()
                services.duplicates.report("Company", body)
                samples.append((time.perf_counter() - began) * 1000)
            out["check"] = _quantiles(samples)
            _log(f"check: {out['check']}")
            rss_before = _peak_mb()
            began = time.perf_counter()
            report = services.duplicates.scan_report("Company")
            seconds = time.perf_counter() - began
            out["scan"] = scan_figures(data, report["clusters"], seconds)
            out["scan"]["peak_rss_mb"] = {"before": rss_before, "after": _peak_mb()}
            _log(f"scan: {out['scan']}")
        finally:
            services.close()
        out["scan"].update(brute_force_recall(copy, seed, cluster_index(report["clusters"])))
        _log(f"recall: {out['scan']}")
        if http:
            out["http"] = _over_http(copy, bodies)
        return out


def _over_http(data: DataSet, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """The same check (one connection) and scan through a server, with its memory."""
    import orjson

    from benchmarks.servers import mspcrm_server

    out: dict[str, Any] = {}
    headers = data.headers()
    with mspcrm_server(data.url) as server:
        fetch(server.port, "GET", "/ATServicesRest/V1.0/Companies/1", None, headers)
        encoded = [orjson.dumps(body) for body in bodies]
        path = "/api/v1/Companies/duplicates/check"
        result = run_load(
            server.port,
            lambda n: ("POST", path, encoded[n % len(encoded)]),
            headers=headers,
            connections=1,
            max_requests=len(encoded),
            max_seconds=120.0,
        )
        if result.errors:
            raise RuntimeError(f"check failed: {result.summary()}")
        out["check"] = _quantiles([seconds * 1000 for seconds in result.latencies])
        _log(f"http check: {out['check']}")
        out["rss_before_scan_mb"] = server.rss_mb()
        began = time.perf_counter()
        status, answer = fetch(
            server.port, "POST", "/api/v1/Companies/duplicates/scan", {}, headers
        )
        if status != 200:
            raise RuntimeError(f"scan failed: {status} {answer}")
        out["scan"] = scan_figures(data, answer["clusters"], time.perf_counter() - began)
        out["rss_after_scan_mb"] = server.rss_mb()
        _log(f"http scan: {out['scan']}, rss {out['rss_after_scan_mb']}")
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="benchmarks.scan", description=__doc__)
    parser.add_argument("--size", default="S")
    parser.add_argument("--companies", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checks", type=int, default=CHECKS)
    parser.add_argument("--http", action="store_true", help="also through a server")
    args = parser.parse_args(argv)
    size = size_named(args.size, args.companies)
    data = _load(DATA_DIR / f"{size.name}-{args.seed}.json")
    if data is None or not Path(data.url).exists():
        raise SystemExit(f"no finished data set {size.name}-{args.seed}: build it with run.py")
    out = measure(data, args.seed, args.checks, args.http)
    print(out)
    return out


if __name__ == "__main__":
    main()
