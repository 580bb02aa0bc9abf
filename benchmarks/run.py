"""``python -m benchmarks.run [--size S|L] [--companies N] ...`` (``make bench`` runs the S set).

Builds or reuses the data set, copies it to a scratch file (writes never touch the
cache), starts the baseline and the server on 127.0.0.1, runs every workload A/B
interleaved, then on PostgreSQL the key ones, and writes
``benchmarks/results/<time>-<size>.json`` and the table in ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from benchmarks import imports, queries, report, scan, workloads
from benchmarks.generate import DATA_DIR, DataSet, postgres_dataset, sqlite_dataset
from benchmarks.servers import baseline_server, mspcrm_server, unlimited_server
from benchmarks.sizes import Size, size_named

RESULTS = Path(__file__).parent / "results"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
DEFAULT_POSTGRES = "postgresql://127.0.0.1:5432/test"
PG_PAGES = ("eq", "contains", "contains_rare")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks.run", description=__doc__)
    parser.add_argument("--size", default="S", help="S (10k companies) or L (1M)")
    parser.add_argument("--companies", type=int, help="a custom size (smoke tests)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reps", type=int, default=3, help="A/B repetitions (median taken)")
    parser.add_argument("--requests", type=int, default=2000, help="max requests per load run")
    parser.add_argument("--seconds", type=float, default=4.0, help="max seconds per load run")
    parser.add_argument("--postgres", default=os.environ.get("MSPCRM_BENCH_POSTGRES_URL"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument(
        "--import-rows", type=int, default=100_000, help="cap on the CSV rows imported"
    )
    parser.add_argument("--no-scan", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--docs", type=Path, default=DOCS, help="the Markdown table to write")
    parser.add_argument("--no-docs", action="store_true")
    return parser.parse_args(argv)


def scratch_copy(data: DataSet) -> DataSet:
    """The run works on a copy: its writes never change the cached data set."""
    source = Path(data.url)
    target = DATA_DIR / f"work-{source.name}"
    for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    copy = DataSet(**{**data.__dict__, "url": str(target)})
    return copy


def sqlite_suite(data: DataSet, args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    docs = queries.documents(data, args.seed)
    compiled = queries.compiled_pages(data, docs)
    query_file = run_dir / "baseline-queries.json"
    query_file.write_bytes(orjson.dumps(compiled))
    out: dict[str, Any] = {"documents": docs}
    with baseline_server(data.url, query_file) as base, mspcrm_server(data.url) as server:
        bench = workloads.Bench(
            data, server, base, args.reps, args.requests, args.seconds, args.seed
        )
        warm_up(bench)
        out["rss_idle_mb"] = server.rss_mb()
        out["baseline_rss_mb"] = base.rss_mb()
        out.update(common_workloads(bench, docs, compiled, docs.keys()))
        log("mixed CRUD 80/15/5 at 16 connections")
        out["mixed_c16"] = workloads.mixed_crud(bench, 16)
        if not args.no_scan:
            log("whole-table duplicate scan")
            out["scan"] = scan.whole_table_scan(bench, 1 if data.companies > 100_000 else args.reps)
        out["rss_mb"] = server.rss_mb()
    log("diagnostic: GET by id without the request-limit check")
    with baseline_server(data.url, query_file) as base, unlimited_server(data.url) as server:
        bench = workloads.Bench(
            data, server, base, args.reps, args.requests, args.seconds, args.seed
        )
        warm_up(bench)
        out["diagnostic_no_limits"] = {f"get_c{c}": workloads.get_by_id(bench, c) for c in (1, 32)}
    return out


def common_workloads(
    bench: workloads.Bench,
    docs: dict[str, Any],
    compiled: dict[str, Any],
    pages: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for connections in (1, 32):
        log(f"GET by id at {connections} connection(s)")
        out[f"get_c{connections}"] = workloads.get_by_id(bench, connections)
    out["pages"] = {}
    for name in pages:
        log(f"500-row page: {name}")
        page = workloads.query_page(bench, name, docs[name])
        page["raw_fetch_ms"] = queries.raw_fetch_ms(bench.data, compiled["pages"][name], 5)
        out["pages"][name] = page
    log("paging by nextPageUrl")
    out["paging"] = workloads.paging(bench)
    log("durable single-record writes")
    out["writes"] = workloads.durable_writes(bench)
    log("duplicate check of new records")
    out["duplicate_check"] = workloads.duplicate_check(bench)
    return out


def postgres_suite(
    sqlite_data: DataSet, size: Size, args: argparse.Namespace, run_dir: Path
) -> dict[str, Any]:
    url = args.postgres or DEFAULT_POSTGRES
    try:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as exc:
        return {"skipped": f"PostgreSQL at {url} not reachable: {exc.__class__.__name__}"}
    data = postgres_dataset(url, size, args.seed, log)
    docs = queries.documents(sqlite_data, args.seed)
    compiled = queries.compiled_pages(data, docs)
    sqlite_compiled = queries.compiled_pages(sqlite_data, docs)
    query_file = run_dir / "baseline-queries.json"
    query_file.write_bytes(orjson.dumps(sqlite_compiled))
    out: dict[str, Any] = {"url": url, "build_seconds": data.build_seconds}
    with baseline_server(sqlite_data.url, query_file) as base, mspcrm_server(data.url) as server:
        bench = workloads.Bench(
            data, server, base, args.reps, args.requests, args.seconds, args.seed
        )
        warm_up(bench)
        out.update(common_workloads(bench, docs, compiled, PG_PAGES))
        out["rss_mb"] = server.rss_mb()
    return out


def warm_up(bench: workloads.Bench) -> None:
    """Authenticate once (argon2id, then the cached credential) and warm both servers."""
    from benchmarks.load import fetch

    ours = "/ATServicesRest/V1.0/Companies/1"
    status, answer = fetch(bench.server.port, "GET", ours, None, bench.headers)
    if status != 200:
        raise RuntimeError(f"the server refused the benchmark user: {status} {answer}")
    bench.load(bench.server, lambda n: ("GET", ours, None), 4)
    bench.load(bench.baseline, lambda n: ("GET", "/item/1", None), 4)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    size = size_named(args.size, args.companies)
    started = time.perf_counter()
    run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{size.name}"
    run_dir = args.results / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    log(f"data set {size.name}: {size.companies} companies, seed {args.seed}")
    cached = sqlite_dataset(size, args.seed, log)
    results: dict[str, Any] = {
        "run": run_id,
        "size": size.__dict__,
        "config": {k: str(v) for k, v in vars(args).items()},
        "machine": report.machine_info(),
        "versions": report.versions(),
        "data_build_seconds": cached.build_seconds,
        "load_average_start": os.getloadavg(),
    }
    if not args.no_import and imports.available():
        log("CSV import (mspcrm import) on SQLite")
        results["import"] = {
            "sqlite": imports.run_import(size, args.seed, "sqlite", None, args.import_rows)
        }
    data = scratch_copy(cached)
    results["sqlite"] = sqlite_suite(data, args, run_dir)
    if args.no_postgres:
        results["postgresql"] = {"skipped": "--no-postgres"}
    else:
        results["postgresql"] = postgres_suite(data, size, args, run_dir)
        pg_url = args.postgres or DEFAULT_POSTGRES
        if "skipped" not in results["postgresql"] and "import" in results:
            log("CSV import on PostgreSQL")
            results["import"]["postgresql"] = imports.run_import(
                size, args.seed, "postgresql", pg_url, args.import_rows
            )
    results["load_average_end"] = os.getloadavg()
    results["seconds"] = round(time.perf_counter() - started, 1)
    path = run_dir / "results.json"
    path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    table = report.markdown(results)
    print(table)
    if not args.no_docs:
        report.write_docs(args.docs, table)
    log(f"done in {results['seconds']} s: {path}")
    return results


if __name__ == "__main__":
    main()
