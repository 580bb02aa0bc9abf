"""Text search (``contains``, ``beginsWith``, ``endsWith``): whatever index serves it,
the records selected are the plain path's and the reference evaluator's.

Each query runs once as the planner likes (on PostgreSQL: any index it picks) and
once with index scans switched off (the plain sequential path); the ids must be
equal to each other and to ``mspcrm.query.evaluator.matches``. The patterns cover
case, LIKE wildcards and the escape character, short patterns a trigram index
cannot serve, and misses. These are the guard rails for the trigram indexes
proposed in docs/performance.md (finding 10).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from mspcrm.domain.entities import COMPANY
from mspcrm.query.ast import Group
from mspcrm.query.evaluator import matches
from mspcrm.services.crm import Services
from mspcrm.store import repository
from mspcrm.store.schema import entity_table

NAMES = [
    "Acme Dental",
    "ACME dental LLC",
    "The Acme Group",
    "Kobarito Lema Logistics",
    "kobarito lema",
    "100% Pure Water",
    "under_score Systems",
    "back\\slash Media",
    "Dentalworks",
    "ab",
    "Zenith Ventures Inc",
    "zen",
    "Mega Corp",
]
PATTERNS = ["acme", "DENT", "kobarito lema", "100%", "_sc", "h\\s", "ab", "ven", "xyz", "e d"]
OPERATORS = ["contains", "beginsWith", "endsWith"]


@pytest.fixture
def named(services: Services) -> Services:
    table = entity_table(COMPANY)
    rows = [
        {"company_name": name, "company_type": 1, "company_number": "", "web_address": None}
        for name in NAMES * 40  # enough rows for the planner to consider the index
    ]
    with services.db.write() as conn:
        conn.execute(sa.insert(table), rows)
        if services.db.dialect == "postgresql":
            conn.exec_driver_sql("ANALYZE companies")
    return services


def _ids(services: Services, document: dict[str, Any], *, plain: bool) -> list[int]:
    with services.db.read() as conn:
        if plain and services.db.dialect == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
        where = services.records.parse(conn, COMPANY, document).where
        rows = repository.select_page(conn, COMPANY, where, limit=10_000)
    return [r["id"] for r in rows]


@pytest.mark.parametrize("op", OPERATORS)
def test_indexed_and_plain_paths_select_the_same_records(named: Services, op: str) -> None:
    with named.db.read() as conn:
        everything = repository.select_page(conn, COMPANY, Group("and", ()), limit=10_000)
    for pattern in PATTERNS:
        document = {"filter": [{"op": op, "field": "companyName", "value": pattern}]}
        indexed = _ids(named, document, plain=False)
        assert indexed == _ids(named, document, plain=True), (op, pattern)
        with named.db.read() as conn:
            where = named.records.parse(conn, COMPANY, document).where
        expected = [r["id"] for r in everything if matches(where, r)]
        assert indexed == expected, (op, pattern)
