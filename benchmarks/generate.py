"""Build (or reuse) a benchmark database: migrated, seeded, bulk-loaded, match keys indexed.

The records go in through SQLAlchemy Core bulk inserts into a database made by
``mspcrm.store.migrate.upgrade``; they are valid records the server serves. Built
databases are cached under ``benchmarks/data/`` keyed by size and seed (SQLite files;
PostgreSQL schemas named ``bench_<size>_<seed>``), with a JSON sidecar holding the
planted-duplicate ground truth and the API user.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks import fake
from benchmarks.sizes import Size
from mspcrm.config import Settings
from mspcrm.domain.duplicates import profile_for
from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION, CONTACT, OPPORTUNITY
from mspcrm.domain.entity import Entity, snake
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.services.crm import build_services
from mspcrm.store.database import Database
from mspcrm.store.migrate import upgrade
from mspcrm.store.schema import UDF_COLUMN, entity_table
from mspcrm.store.schema import match_keys as match_keys_table

FORMAT = 5  # bump when the generated data changes shape: old caches are rebuilt
DATA_DIR = Path(__file__).parent / "data"
BATCH = 5000
API_USER = "bench-api@msp.example"
API_SECRET = "benchmark secret 0001"
API_CODE = "BENCHINTEGRATIONCODE0001"


@dataclass
class DataSet:
    url: str
    engine: str
    size: str
    seed: int
    companies: int
    contacts: int
    locations: int
    opportunities: int
    truth: list[tuple[int, int]]
    username: str
    secret: str
    integration_code: str
    build_seconds: float
    format: int = FORMAT

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url)

    def headers(self) -> dict[str, str]:
        return {
            "UserName": self.username,
            "Secret": self.secret,
            "ApiIntegrationCode": self.integration_code,
            "Content-Type": "application/json",
        }


def _row(entity: Entity, record: dict[str, Any]) -> dict[str, Any]:
    row = {}
    for name, value in record.items():
        if name == "userDefinedFields":
            row[UDF_COLUMN] = value
        else:
            row[snake(entity.require(name).name)] = value
    return row


def _insert(db: Database, entity: Entity, records: Iterable[dict[str, Any]]) -> int:
    table = entity_table(entity)
    total = 0
    for chunk in _chunks(records, BATCH):
        with db.write() as conn:
            conn.execute(sa.insert(table), [_row(entity, r) for r in chunk])
        total += len(chunk)
    return total


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _index_match_keys(db: Database, entity: Entity, records: Iterable[dict[str, Any]]) -> None:
    """The bulk path of ``DuplicateService.reindex``: the same keys, inserted in batches."""
    keys_of = profile_for(entity.name).blocking_keys

    def rows() -> Iterator[dict[str, Any]]:
        for record in records:
            for key in set(keys_of(record)):
                yield {"entity": entity.name, "key": key[:200], "record_id": record["id"]}

    for chunk in _chunks(rows(), BATCH * 4):
        with db.write() as conn:
            conn.execute(sa.insert(match_keys_table), chunk)


def _children(
    rows: list[dict[str, Any]],
    count: int,
    first_id: int,
    make: Callable[[int, dict[str, Any]], dict[str, Any]],
) -> Iterator[dict[str, Any]]:
    """``count`` child records spread over the companies in order, ids from ``first_id``."""
    n = len(rows)
    for i in range(count):
        yield make(first_id + i, rows[i * n // count])


def _next_id(db: Database, entity: Entity) -> int:
    """The first free id (the seed data already holds a few rows)."""
    table = entity_table(entity)
    with db.read() as conn:
        return int(conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1


def populate(url: str, size: Size, seed: int, progress: Callable[[str], None]) -> DataSet:
    started = time.perf_counter()
    settings = Settings(database_url=url, sqlite_sync="OFF")
    services = build_services(settings)
    resource_id, user = services.admin.create_resource(
        "Bench", "Mark", API_USER, api_user=True, integration_code=API_CODE, secret=API_SECRET
    )
    assert user is not None
    services.admin.add_udf(UdfDefinition(entity="Company", name=fake.UDF_NAME, length=50))
    services.close()
    db = Database(url, sqlite_sync="OFF")
    rng = random.Random(seed)
    progress(f"companies: {size.companies}")
    rows, truth = fake.companies(rng, size.companies, size.planted, resource_id)
    _insert(db, COMPANY, rows)
    progress(f"contacts: {size.contacts}")
    first_contact = _next_id(db, CONTACT)

    def contacts() -> Iterator[dict[str, Any]]:  # made twice (insert, keys), never held
        people = random.Random(seed + 1)
        return _children(
            rows, size.contacts, first_contact, lambda i, c: fake.contact(people, i, c)
        )

    _insert(db, CONTACT, contacts())
    progress(f"locations: {size.locations}")
    primary_seen: set[int] = set()

    def make_location(i: int, c: dict[str, Any]) -> dict[str, Any]:
        first = c["id"] not in primary_seen
        primary_seen.add(c["id"])
        return fake.location(i, c, first)

    _insert(
        db,
        COMPANY_LOCATION,
        _children(rows, size.locations, _next_id(db, COMPANY_LOCATION), make_location),
    )
    progress(f"opportunities: {size.opportunities}")
    _insert(
        db,
        OPPORTUNITY,
        _children(
            rows,
            size.opportunities,
            _next_id(db, OPPORTUNITY),
            lambda i, c: fake.opportunity(rng, i, c, resource_id),
        ),
    )
    progress("match keys")
    _index_match_keys(db, COMPANY, rows)
    _index_match_keys(db, CONTACT, contacts())
    _finish(db)
    db.dispose()
    return DataSet(
        url=url,
        engine=db.dialect,
        size=size.name,
        seed=seed,
        companies=size.companies,
        contacts=size.contacts,
        locations=size.locations,
        opportunities=size.opportunities,
        truth=truth,
        username=user.username,
        secret=API_SECRET,
        integration_code=API_CODE,
        build_seconds=round(time.perf_counter() - started, 2),
    )


def _finish(db: Database) -> None:
    """Sequences past the explicit ids (PostgreSQL), statistics, a checkpointed file."""
    with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            for entity in (COMPANY, CONTACT, COMPANY_LOCATION, OPPORTUNITY):
                table = entity.table
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            conn.commit()
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    if db.dialect == "sqlite":
        raw = db.engine.raw_connection()
        try:
            raw.execute("ANALYZE")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def _load(meta: Path) -> DataSet | None:
    if not meta.exists():
        return None
    raw = json.loads(meta.read_text())
    if raw.get("format") != FORMAT:
        return None
    raw["truth"] = [tuple(p) for p in raw["truth"]]
    return DataSet(**raw)


def _save(meta: Path, data: DataSet) -> None:
    meta.write_text(json.dumps(asdict(data)))


def sqlite_dataset(size: Size, seed: int, progress: Callable[[str], None]) -> DataSet:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"{size.name}-{seed}.db"
    meta = DATA_DIR / f"{size.name}-{seed}.json"
    cached = _load(meta)
    if cached is not None and path.exists():
        return cached
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), meta):
        stale.unlink(missing_ok=True)
    progress(f"building SQLite data set {path.name}")
    data = populate(str(path), size, seed, progress)
    _save(meta, data)
    return data


def postgres_dataset(
    base_url: str, size: Size, seed: int, progress: Callable[[str], None]
) -> DataSet:
    schema = f"bench_{size.name.lower()}_{seed}"
    meta = DATA_DIR / f"{size.name}-{seed}.postgres.json"
    separator = "&" if "?" in base_url else "?"
    url = f"{base_url}{separator}options=-csearch_path%3D{schema},public"
    admin = Database(base_url)
    cached = _load(meta)
    with admin.engine.begin() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s"),
            {"s": schema},
        ).first()
        if cached is not None and exists:
            admin.dispose()
            return cached
        progress(f"building PostgreSQL data set in schema {schema}")
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    admin.dispose()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    data = populate(url, size, seed, progress)
    _save(meta, data)
    return data


def build_plain(url: str) -> None:
    """An empty migrated database (the import target)."""
    db = Database(url)
    upgrade(db)
    db.dispose()
