"""Text search (contains / beginsWith / endsWith) before and after the trigram indexes.

``python -m benchmarks.text_search [--companies N] [--engine sqlite|postgresql]
[--postgres URL] [--repeat R]`` builds a scratch database with every migration but
the search indexes' (0009), bulk-loads N generated companies, times each query
(a page of 501 records in id order, as ``repository.select_page`` reads it),
then applies 0009 (building the indexes for the rows already there: timed) and
times the same queries again. Prints p50/p95 per query, the upgrade's seconds and the
SQLite file's size. The scratch database is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command

from benchmarks import fake
from mspcrm.domain.entities import COMPANY
from mspcrm.domain.entity import snake
from mspcrm.query.ast import Condition, Group, Node
from mspcrm.store.compile import compile_filter
from mspcrm.store.database import Database
from mspcrm.store.migrate import alembic_config, head_revisions
from mspcrm.store.schema import entity_table

BATCH = 5000
PAGE = 501
SEARCH_REVISION = "0009"
SIZE = {
    "sqlite": "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'companies\\_fts%' ESCAPE '\\'",
    "postgresql": "SELECT sum(pg_relation_size(indexrelid)) FROM pg_index "
    "WHERE indexrelid::regclass::text LIKE 'ix\\_companies\\_%\\_trgm'",
}


def _rows(count: int, rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    table = entity_table(COMPANY)
    for start in range(1, count + 1, BATCH):
        batch = []
        for i in range(start, min(start + BATCH, count + 1)):
            record = fake.company(rng, i, 0)
            row = {snake(k): v for k, v in record.items() if snake(k) in table.c}
            for reference in ("owner_resource_id", "created_by_resource_id", "country_id"):
                row[reference] = None
            batch.append(row)
        yield batch


def _queries(names: list[str]) -> dict[str, Node]:
    name = COMPANY.require("companyName")
    return {
        "contains_rare": Condition("contains", name, names[0][1:6]),
        "contains_rare_word": Condition("contains", name, names[1].split()[1].lower()),
        "beginsWith_rare": Condition("beginsWith", name, names[2][:5]),
        "endsWith_rare": Condition("endsWith", name, names[3][-6:]),
        "contains_common": Condition("contains", name, "dental"),
        "endsWith_common": Condition("endsWith", name, "gmbh"),
        "contains_short": Condition("contains", name, "ko"),
        "contains_miss": Condition("contains", name, "zzqx"),
        "web_contains_all": Condition("contains", COMPANY.require("webAddress"), ".com"),
        "city_contains": Condition("contains", COMPANY.require("city"), "austin"),
        "search_fields_or": Group(  # what the CLI's and MCP's free-text search send
            "or",
            tuple(
                Condition("contains", COMPANY.require(f), names[0][1:6])
                for f in COMPANY.search_fields
            ),
        ),
    }


def _time(db: Database, node: Node, repeat: int, *, index: bool) -> tuple[float, float, int]:
    table = entity_table(COMPANY)
    columns = [table.c[snake(f.name)] for f in COMPANY.fields]
    where = compile_filter(node, table, db.dialect, search_index=index)
    statement = sa.select(*columns).where(where).order_by(table.c.id).limit(PAGE)
    samples = []
    found = 0
    for _ in range(repeat):
        started = time.perf_counter()
        with db.read() as conn:
            found = len(conn.execute(statement).all())
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))], found


@contextmanager
def _database(
    engine: str, postgres: str, *, custom_plans: bool = False
) -> Iterator[tuple[Database, Path | None]]:
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "search.db"
            db = Database(str(path), sqlite_sync="OFF")
            try:
                yield db, path
            finally:
                db.dispose()
        return
    schema = f"bench_search_{os.getpid()}"
    admin = sa.create_engine(postgres.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    options = f"-csearch_path%3D{schema},public"
    if custom_plans:  # never a generic plan for a prepared statement (psycopg prepares)
        options += "%20-cplan_cache_mode%3Dforce_custom_plan"
    db = Database(f"{postgres}?options={options}")
    try:
        yield db, None
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def run(engine: str, companies: int, repeat: int, postgres: str, *, custom_plans: bool) -> None:
    rng = random.Random(7)
    with _database(engine, postgres, custom_plans=custom_plans) as (db, path):
        for head in sorted(head_revisions() - {SEARCH_REVISION}):
            with db.engine.begin() as conn:
                command.upgrade(alembic_config(conn), head)
        started = time.perf_counter()
        for batch in _rows(companies, rng):
            with db.write() as conn:
                conn.execute(sa.insert(entity_table(COMPANY)), batch)
        loaded = time.perf_counter() - started
        if engine == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE companies")
        table = entity_table(COMPANY)
        with db.read() as conn:
            picks = [rng.randint(1, companies) for _ in range(4)]
            names = [
                conn.scalar(sa.select(table.c.company_name).where(table.c.id == i)) for i in picks
            ]
        queries = _queries([str(n) for n in names])
        print(f"{engine}: {companies:,} companies loaded in {loaded:.1f} s", end="")
        print(f" ({path.stat().st_size / 2**20:.0f} MB)" if path else "")
        before = {label: _time(db, cond, repeat, index=False) for label, cond in queries.items()}
        started = time.perf_counter()
        with db.engine.begin() as conn:
            command.upgrade(alembic_config(conn), SEARCH_REVISION)
        built = time.perf_counter() - started
        with db.engine.begin() as conn:
            if engine == "postgresql":
                conn.exec_driver_sql("ANALYZE companies")
            size = conn.execute(sa.text(SIZE[engine])).scalar() or 0
        print(f"migration {SEARCH_REVISION}: {built:.1f} s; companies' index {size / 2**20:.0f} MB")
        for label, cond in queries.items():
            p50, p95, found = _time(db, cond, repeat, index=True)
            b50, b95, was = before[label]
            assert found == was, (label, found, was)
            what = f"{cond.op} {cond.value!r}" if isinstance(cond, Condition) else "(4 fields)"
            print(
                f"  {label:18} {what:28} rows {found:3}  "
                f"before p50 {b50:7.1f} p95 {b95:7.1f} ms   after p50 {p50:6.1f} p95 {p95:6.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=200_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=os.environ.get("MSPCRM_TEST_POSTGRES_URL", ""))
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument(
        "--custom-plans",
        action="store_true",
        help="PostgreSQL: plan_cache_mode=force_custom_plan (the generic plan of a prepared "
        "LIKE walks the primary key: the pattern is unknown to it)",
    )
    args = parser.parse_args()
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine in engines:
        if engine == "postgresql" and not args.postgres:
            print("postgresql: skipped (no --postgres URL)")
            continue
        run(engine, args.companies, args.repeat, args.postgres, custom_plans=args.custom_plans)


if __name__ == "__main__":
    main()
