"""Bulk CSV import: ``mspcrm import companies FILE`` as a subprocess into an empty database.

The same run imports a smaller sample with every row through the one write path
(``ImportOptions(bulk=False)``, what ``mspcrm import`` did before the bulk path), so
the speed-up is a ratio measured on the same machine at the same time. Peak RSS is the
import process's own (``wait4``), not the largest of every child the benchmark ran.

``python -m benchmarks.imports ROWS [--postgres URL] [--per-row N]`` runs it alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks import fake
from benchmarks.generate import DATA_DIR, build_plain
from benchmarks.servers import MSPCRM, ROOT
from benchmarks.sizes import Size, size_named
from mspcrm.store.database import Database, normalise_url

COLUMNS = ("companyName", "companyType", "phone", "address1", "city", "state", "postalCode")
PER_ROW_ROWS = 5_000  # the write-path sample: ~400 rows/s on SQLite, ~200/s on PostgreSQL
PER_ROW_SCRIPT = """
import sys
from mspcrm.config import Settings
from mspcrm.services.context import Actor
from mspcrm.services.crm import build_services
from mspcrm.services.import_run import ImportOptions
from mspcrm.services.imports import ImportService

services = build_services(Settings(database_url=sys.argv[2]))
importer = ImportService(services.db, services.registry, services.records)
with open(sys.argv[1], "rb") as stream:
    result = importer.run(
        "companies", stream, Actor(None, "import"), ImportOptions(bulk=False, batch_size=1000)
    )
services.close()
print(result.counts, file=sys.stderr)
sys.exit(2 if result.counts["errors"] else 0)
"""


def available() -> bool:
    try:
        done = subprocess.run([str(MSPCRM), "import", "--help"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def write_csv(rows: int, seed: int) -> Path:
    path = DATA_DIR / f"import-{rows}-{seed}.csv"
    if path.exists():
        return path
    rng = random.Random(seed + 7)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for n in range(1, rows + 1):
            row = fake.company(rng, n, 0)
            writer.writerow([row[c] for c in COLUMNS])
    return path


def _empty_target(engine: str, postgres_url: str | None, seed: int) -> str:
    if engine == "sqlite":
        path = DATA_DIR / f"import-target-{seed}.db"
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        build_plain(str(path))
        return str(path)
    assert postgres_url is not None
    return _empty_postgres(postgres_url, f"mspcrm_bench_import_{seed}")


def _empty_postgres(url: str, name: str) -> str:
    """A database of its own, made anew: a schema in a shared one would see another
    schema's ``public.alembic_version`` through the search path and stay unmigrated."""
    admin = sa.create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    target = sa.engine.make_url(normalise_url(url)).set(database=name)
    fresh = sa.create_engine(target)
    with fresh.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    fresh.dispose()
    plain = target.render_as_string(hide_password=False).replace("+psycopg", "", 1)
    build_plain(plain)
    return plain


def _run(command: list[str]) -> tuple[float, int, float, str]:
    """Seconds, exit code, peak RSS in MB of this one process, and its stderr's tail."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-500:]
    return seconds, process.returncode, usage.ru_maxrss / 1024, tail


def _stored(target: str) -> int:
    db = Database(target)
    with db.read() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM companies WHERE id > 0")).scalar_one()
    db.dispose()
    return int(stored)


def _timed(rows: int, seed: int, engine: str, postgres_url: str | None, bulk: bool) -> Any:
    csv_path = write_csv(rows, seed)
    target = _empty_target(engine, postgres_url, seed)
    if bulk:
        command = [str(MSPCRM), "import", "companies", str(csv_path), "--database", target]
        command.append("--no-progress")
    else:
        command = [sys.executable, "-c", PER_ROW_SCRIPT, str(csv_path), target]
    seconds, code, peak_mb, tail = _run(command)
    return {
        "rows": rows,
        "stored": _stored(target),
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "returncode": code,
        "stderr_tail": tail,
    }


def run_import(
    size: Size,
    seed: int,
    engine: str,
    postgres_url: str | None,
    max_rows: int,
    per_row_rows: int = PER_ROW_ROWS,
) -> dict[str, Any]:
    """Import ``min(size.companies, max_rows)`` companies; time per million extrapolated;
    then ``per_row_rows`` of them through the write path alone, for the speed-up."""
    rows = min(size.companies, max_rows)
    done = _timed(rows, seed, engine, postgres_url, bulk=True)
    result = {
        "engine": engine,
        **done,
        "seconds_per_million": round(done["seconds"] * 1_000_000 / rows, 1),
        "peak_rss_mb_children": done["peak_rss_mb"],  # the name the report reads
    }
    if per_row_rows > 0:
        per_row = _timed(min(rows, per_row_rows), seed, engine, postgres_url, bulk=False)
        result["per_row"] = per_row
        result["speedup"] = round(done["rows_per_second"] / per_row["rows_per_second"], 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", help="also on this PostgreSQL (a schema is made in it)")
    parser.add_argument("--per-row", type=int, default=PER_ROW_ROWS, help="0: no comparison")
    args = parser.parse_args()
    size = size_named("import", args.rows)
    engines = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
    for engine, url in engines:
        found = run_import(size, args.seed, engine, url, args.rows, args.per_row)
        print(json.dumps(found, indent=1))


if __name__ == "__main__":
    main()
