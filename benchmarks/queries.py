"""The query workloads: Autotask filter documents, compiled once to the SQL the server runs.

The same compiled statement is handed to the baseline app (as SQL text and
parameters) and timed as a raw fetch in this process, so a page's cost splits into
the database's share and the server's.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

import sqlalchemy as sa

from benchmarks import fake
from benchmarks.baseline import connect
from benchmarks.generate import DataSet
from mspcrm.domain.entities import COMPANY, build_registry
from mspcrm.domain.entity import snake
from mspcrm.query.ast import Node
from mspcrm.services.records import RecordService
from mspcrm.store.compile import compile_filter
from mspcrm.store.database import Database
from mspcrm.store.schema import UDF_COLUMN, entity_table

PAGE = 500


def _cond(op: str, field: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"op": op, "field": field, "value": value, **extra}


def documents(data: DataSet, seed: int) -> dict[str, dict[str, Any]]:
    """Name -> query document; the rare ones look for one company's own words."""
    rng = random.Random(seed)
    names = _company_names(data, rng, 101)
    target = names[0].split()
    depth3 = {
        "op": "or",
        "items": [
            {"op": "and", "items": [_cond("eq", "companyType", 1), _cond("eq", "city", "Austin")]},
            {
                "op": "and",
                "items": [
                    _cond("eq", "companyType", 2),
                    {
                        "op": "or",
                        "items": [_cond("eq", "city", "Boston"), _cond("eq", "city", "Denver")],
                    },
                ],
            },
        ],
    }
    return {
        "eq": {"filter": [_cond("eq", "companyType", 2)]},
        "in100": {"filter": [_cond("in", "companyName", names[1:101])]},
        "contains": {"filter": [_cond("contains", "companyName", "ko")]},
        "contains_rare": {"filter": [_cond("contains", "companyName", target[0][1:6])]},
        "beginsWith_rare": {"filter": [_cond("beginsWith", "companyName", target[0][:5])]},
        "andor3": {"filter": [depth3]},
        "udf_eq": {"filter": [_cond("eq", fake.UDF_NAME, "Gold", udf=True)]},
    }


def _company_names(data: DataSet, rng: random.Random, count: int) -> list[str]:
    db = Database(data.url)
    table = entity_table(COMPANY)
    ids = [rng.randint(1, data.companies) for _ in range(count * 2)]
    with db.read() as conn:
        rows = conn.execute(sa.select(table.c.company_name).where(table.c.id.in_(ids))).all()
    db.dispose()
    return [r[0] for r in rows][:count]


def _columns() -> tuple[list[str], list[Any]]:
    table = entity_table(COMPANY)
    names = [f.name for f in COMPANY.fields] + ["userDefinedFields"]
    columns = [table.c[snake(f.name)] for f in COMPANY.fields] + [table.c[UDF_COLUMN]]
    return names, columns


def compiled_pages(data: DataSet, docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The baseline's query file: columns, and per workload the server's SQL for a page."""
    db = Database(data.url)
    records = RecordService(db, build_registry())
    names, columns = _columns()
    table = entity_table(COMPANY)
    pages = {}
    with db.read() as conn:
        for name, doc in docs.items():
            where: Node = records.parse(conn, COMPANY, doc).where
            statement = (
                sa.select(*columns)
                .where(compile_filter(where, table, db.dialect))
                .where(table.c.id > sa.bindparam("after", -1))
                .order_by(table.c.id)
                .limit(PAGE + 1)
            )
            compiled = statement.compile(
                dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True}
            )
            processors = compiled._bind_processors  # e.g. a JSON path 'Tier' -> '$."Tier"'
            params = {
                key: processors[key](value) if key in processors else value
                for key, value in compiled.params.items()
            }
            if compiled.positiontup is not None:
                ordered = [params[key] for key in compiled.positiontup]
                after_index = compiled.positiontup.index("after")
                pages[name] = {
                    "sql": compiled.string,
                    "params": ordered,
                    "after_index": after_index,
                }
            else:
                pages[name] = {"sql": compiled.string, "params": params, "after_index": -1}
            pages[name]["columns"] = names
    db.dispose()
    column_sql = [f'"{c.name}"' for c in columns]
    return {"columns": names, "column_sql": column_sql, "pages": pages}


def raw_fetch_ms(data: DataSet, spec: dict[str, Any], repeats: int) -> float:
    """Median time to run the compiled page query and fetch its rows, no HTTP, no objects."""
    samples = []
    if data.engine == "sqlite":
        conn = connect(data.url)
        params = list(spec["params"])
        params[spec["after_index"]] = -1
        for _ in range(repeats):
            started = time.perf_counter()
            conn.execute(spec["sql"], params).fetchall()
            samples.append(time.perf_counter() - started)
        conn.close()
    else:
        import psycopg

        with psycopg.connect(_libpq_url(data.url)) as conn:
            params = dict(spec["params"], after=-1)
            for _ in range(repeats):
                started = time.perf_counter()
                conn.execute(spec["sql"], params).fetchall()
                samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
