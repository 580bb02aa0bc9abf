"""Whole-table duplicate scan: its time, and its recall two ways.

* planted: of the near-duplicates the generator planted, how many pairs the scan
  put in one cluster;
* brute force: on a sample (planted pairs plus random companies), every pair is
  scored by the same scorer; of the pairs scoring ``matched``, how many the scan
  (which only compares records sharing a blocking key) found.
"""

from __future__ import annotations

import random
import time
from itertools import combinations
from typing import Any

from benchmarks.load import fetch
from benchmarks.workloads import Bench, existing_companies
from mspcrm.domain.duplicates import MATCHED, score_company

SAMPLE_PAIRS = 100
SAMPLE_OTHERS = 200


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
    cluster_of = {}
    for n, found in enumerate(answer["clusters"]):
        for record_id in found["ids"]:
            cluster_of[record_id] = n
    truth = bench.data.truth
    planted_found = sum(1 for a, b in truth if _together(cluster_of, a, b))
    seconds = sorted(times)[len(times) // 2]
    rows = bench.data.companies + 1
    return {
        "seconds": round(seconds, 3),
        "samples": times,
        "rows": rows,
        "rows_per_second": round(rows / seconds, 1),
        "seconds_per_million": round(seconds * 1_000_000 / rows, 1),
        "clusters": len(answer["clusters"]),
        "planted_pairs": len(truth),
        "planted_recall": round(planted_found / len(truth), 4) if truth else None,
        **_brute_force_recall(bench, cluster_of),
    }


def _together(cluster_of: dict[int, int], a: int, b: int) -> bool:
    return a in cluster_of and cluster_of.get(a) == cluster_of.get(b)


def _brute_force_recall(bench: Bench, cluster_of: dict[int, int]) -> dict[str, Any]:
    rng = random.Random(bench.seed + 60)
    truth = bench.data.truth
    pairs = rng.sample(truth, min(SAMPLE_PAIRS, len(truth)))
    ids = {i for pair in pairs for i in pair}
    ids.update(rng.randint(1, bench.data.companies) for _ in range(SAMPLE_OTHERS))
    records = existing_companies(bench.data, sorted(ids))
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
