"""Differential fuzzing of the query language: at least 10,000 random filter trees per run
(seeded ``random.Random``), each selected by the database and by the pure-Python reference
evaluator (``mspcrm.query.evaluator``); no mismatch. Filters are batched: one SELECT answers
100 filters at once (one ``CASE WHEN filter THEN 1`` column each). Every batch's SQL text is
checked to contain none of the values (markers and injection strings are in the pool).

The data set and the value pools are those of tests/test_query_properties.py, and the same
known exclusions apply (listed there, each pinned by a regression test).
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from mspcrm.domain.fields import Boolean, DateTime, Double, Field, Flag, Integer, Text
from mspcrm.errors import MspcrmError
from mspcrm.query import parse_query
from mspcrm.query.ast import Query
from mspcrm.query.evaluator import matches
from mspcrm.services.crm import Services
from mspcrm.store import repository
from mspcrm.store.schema import entity_table
from tests.reliability.conftest import size
from tests.test_query_properties import (
    ALL_OPS,
    ALPHABET,
    BOOLEAN_OPS,
    BOOLEANS,
    INJECTION,
    NON_TEXT_OPS,
    Dataset,
    EntityData,
    datetime_text,
    seed,
)

BATCH = 100
MARKER = "zqx"  # every random text value carries it half the time: it must never be in SQL


class Trees:
    """Random filter documents for one entity's data."""

    def __init__(self, data: EntityData, rng: random.Random) -> None:
        self.data, self.rng = data, rng
        self.fields = [f for f in data.entity.fields if f.queryable]
        self.stored = {
            name: sorted({r[name] for r in data.records if r[name] is not None}, key=repr)
            for name in [f.name for f in self.fields] + list(data.udfs)
        }

    def document(self) -> dict[str, Any]:
        udf = self.rng.choice([None, *self.data.udfs.values()])
        return {"filter": [self.node(0, udf) for _ in range(self.rng.randint(0, 3))]}

    def node(self, depth: int, udf: Field | None) -> dict[str, Any]:
        if depth >= 3 or self.rng.random() < 0.6:
            return self.condition(udf)
        op = self.rng.choice(("and", "or", "AND", "Or"))
        items = [self.node(depth + 1, udf) for _ in range(self.rng.randint(0, 4))]
        return {"op": op, "items": items}

    def condition(self, udf: Field | None) -> dict[str, Any]:
        use_udf = udf is not None and self.rng.random() < 0.2
        f = udf if use_udf and udf is not None else self.rng.choice(self.fields)
        if isinstance(f.kind, Text):
            op = self.rng.choice(ALL_OPS)
        else:
            op = self.rng.choice(BOOLEAN_OPS if isinstance(f.kind, Boolean) else NON_TEXT_OPS)
        doc: dict[str, Any] = {"op": op, "field": f.name}
        if use_udf:
            doc["udf"] = True
        if op in ("in", "notIn"):
            doc["value"] = [self.value(f) for _ in range(self.rng.randint(1, 5))]
        elif op not in ("exist", "notExist"):
            doc["value"] = self.value(f)
        return doc

    def value(self, f: Field) -> Any:
        rng, stored = self.rng, self.stored[f.name]
        kind = f.kind
        if isinstance(kind, Flag | Boolean):
            return rng.choice(BOOLEANS)
        if isinstance(kind, Text):
            if stored and rng.random() < 0.6:
                text: str = rng.choice(stored)
                start = rng.randint(0, len(text))
                return rng.choice((text, text.upper(), text[start:], text[:start]))
            text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 6)))
            return rng.choice((text, text + MARKER, INJECTION))
        if isinstance(kind, Integer):
            if stored and rng.random() < 0.7:
                return int(rng.choice(stored)) + rng.choice((0, 0, 1, -1))
            return rng.randint(max(kind.low, -(10**6)), min(kind.high, 10**6))
        if isinstance(kind, Double):
            return (
                float(rng.choice(stored))
                if stored and rng.random() < 0.7
                else rng.uniform(-1e6, 1e6)
            )
        if isinstance(kind, DateTime):
            return self.moment(stored)
        raise AssertionError(f"no value for {f.name}")

    def moment(self, stored: list[Any]) -> str:
        rng = self.rng
        if stored and rng.random() < 0.7:
            moment: datetime = rng.choice(stored) + timedelta(milliseconds=rng.choice((0, 1, -1)))
        else:
            moment = datetime(1000, 1, 1) + timedelta(days=rng.randint(0, 3_000_000))
        return datetime_text(moment, rng.choice(("z", "millis", "offset", "date", "iso")))


def run_batch(
    services: Services, data: EntityData, queries: list[Query]
) -> tuple[list[set[int]], str]:
    """Ids each query selects, from one SELECT; and the SQL text."""
    table = entity_table(data.entity)
    with services.db.read() as conn:
        columns = [
            sa.case((repository.where_clause(conn, data.entity, q.where), 1), else_=0).label(
                f"q{i}"
            )
            for i, q in enumerate(queries)
        ]
        statement = sa.select(table.c.id, *columns)
        sql = str(statement.compile(dialect=conn.dialect))
        rows = list(conn.execute(statement))
    found: list[set[int]] = [set() for _ in queries]
    for row in rows:
        for i in range(len(queries)):
            if row[i + 1]:
                found[i].add(int(row[0]))
    return found, sql


def test_ten_thousand_random_filters_match_the_evaluator(services: Services) -> None:
    dataset: Dataset = seed(services)
    total = size(10_000, 100_000)
    compared = refused = 0
    started = time.perf_counter()
    for n, name in enumerate(("Company", "Contact")):
        data = dataset.entities[name]
        trees = Trees(data, random.Random(20_261_127 + n))
        pending: list[tuple[dict[str, Any], Query]] = []
        while compared < total * (n + 1) // 2:
            document = trees.document()
            try:
                pending.append((document, parse_query(data.entity, document, data.udfs)))
            except MspcrmError:
                refused += 1
                continue
            if len(pending) == BATCH:
                compared += check_batch(services, data, pending)
                pending = []
    elapsed = time.perf_counter() - started
    print(f"\n[{services.db.dialect}] {compared} filters compared in {elapsed:.1f} s "
          f"({refused} refused by the parser)")  # fmt: skip
    assert compared >= total


def check_batch(
    services: Services, data: EntityData, pending: list[tuple[dict[str, Any], Query]]
) -> int:
    found, sql = run_batch(services, data, [q for _, q in pending])
    lowered = sql.lower()
    assert MARKER not in lowered and "drop table" not in lowered, "a value inside SQL text"
    for (document, query), ids in zip(pending, found, strict=True):
        expected = {r["id"] for r in data.records if matches(query.where, r)}
        if ids != expected:
            pytest.fail(
                f"mismatch for {document}: SQL only {sorted(ids - expected)}, "
                f"evaluator only {sorted(expected - ids)}"
            )
    return len(pending)
