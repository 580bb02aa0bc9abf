"""A big file, and a killed import that resumes with no row lost or doubled (both engines).

The big file has 20k rows by default; ``MSPCRM_TEST_SIZE=large`` makes it 100k.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from mspcrm.config import Settings
from mspcrm.services.crm import build_services
from mspcrm.store.database import Database
from mspcrm.store.schema import import_jobs
from tests.imports.helpers import count, run_import, write_csv

LARGE = os.environ.get("MSPCRM_TEST_SIZE", "").lower() == "large"
BIG_ROWS = 100_000 if LARGE else 20_000
HEADER = ["Company Name", "Company Type", "Address 1", "City", "Postal Code", "Web", "Phone"]


def _big_file(path: Path, rows: int) -> Path:
    return write_csv(
        path,
        HEADER,
        (
            [f"Company {i:07d}", "Customer", f"{i} Main St", "Springfield", "12345", "", "555-0100"]
            for i in range(rows)
        ),
    )


@pytest.mark.slow
def test_big_file(db_url: str, tmp_path: Path) -> None:
    services = build_services(Settings(database_url=db_url))
    try:
        before = count(services, "Company")
        path = _big_file(tmp_path / "big.csv", BIG_ROWS)
        result, _ = run_import(services, "companies", path, batch_size=2000)
        assert result.counts["created"] == BIG_ROWS and result.counts["errors"] == 0
        assert count(services, "Company") == before + BIG_ROWS
        rate = BIG_ROWS / result.seconds
        print(
            f"\n{BIG_ROWS} companies on {services.db.dialect}: {result.seconds:.1f} s, {rate:.0f}/s"
        )
    finally:
        services.close()


def _last_row(url: str) -> int:
    db = Database(url)
    try:
        with db.read() as conn:
            found = conn.execute(sa.select(sa.func.max(import_jobs.c.last_row))).scalar()
        return int(found or 0)
    finally:
        db.dispose()


def _import_process(db_url: str, path: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "mspcrm.cli", "import", "companies", str(path)]
    options = ["--database", db_url, "--batch-size", "100", "--no-progress"]
    return subprocess.Popen(command + options, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_killed_import_resumes_without_loss_or_doubles(db_url: str, tmp_path: Path) -> None:
    rows = 3000
    path = _big_file(tmp_path / "resume.csv", rows)
    process = _import_process(db_url, path)
    deadline = time.monotonic() + 120
    while _last_row(db_url) < 500 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    stopped_at = _last_row(db_url)
    assert 500 <= stopped_at < rows + 1
    again = _import_process(db_url, path)
    output = again.communicate(timeout=300)[0].decode()
    assert again.returncode == 0, output
    assert f"resumed after row {stopped_at}" in output
    services = build_services(Settings(database_url=db_url))
    try:
        with services.db.read() as conn:
            table = sa.table("companies", sa.column("company_name"))
            names = conn.execute(
                sa.select(sa.func.count(), sa.func.count(sa.distinct(table.c.company_name)))
                .select_from(table)
                .where(table.c.company_name.like("Company %"))
            ).one()
        assert tuple(names) == (rows, rows)
        result, _ = run_import(services, "companies", path, dry_run=True)
        assert result.counts["unchanged"] == rows
    finally:
        services.close()
