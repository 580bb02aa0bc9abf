"""Bulk CSV import: ``mspcrm import companies FILE`` as a subprocess into an empty database."""

from __future__ import annotations

import csv
import random
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks import fake
from benchmarks.generate import DATA_DIR, build_plain
from benchmarks.servers import MSPCRM, ROOT
from benchmarks.sizes import Size
from mspcrm.store.database import Database

COLUMNS = ("companyName", "companyType", "phone", "address1", "city", "state", "postalCode")


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
    schema = f"bench_import_{seed}"
    admin = Database(postgres_url)
    with admin.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    admin.dispose()
    separator = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{separator}options=-csearch_path%3D{schema},public"
    build_plain(url)
    return url


def run_import(
    size: Size, seed: int, engine: str, postgres_url: str | None, max_rows: int
) -> dict[str, Any]:
    """Import ``min(size.companies, max_rows)`` companies; time per million extrapolated."""
    rows = min(size.companies, max_rows)
    csv_path = write_csv(rows, seed)
    target = _empty_target(engine, postgres_url, seed)
    command = [str(MSPCRM), "import", "companies", str(csv_path), "--database", target]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=3600
    )
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    db = Database(target)
    with db.read() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM companies WHERE id > 0")).scalar_one()
    db.dispose()
    return {
        "engine": engine,
        "rows": rows,
        "stored": int(stored),
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds, 1),
        "seconds_per_million": round(seconds * 1_000_000 / rows, 1),
        "peak_rss_mb_children": round(peak_mb, 1),
        "returncode": done.returncode,
        "stderr_tail": done.stderr[-500:],
    }
