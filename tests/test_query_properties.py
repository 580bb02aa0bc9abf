"""Property tests of the query language: the SQL selects exactly what the reference evaluator does.

A few dozen companies and contacts with awkward values (mixed case, accents, ``%``, ``_``,
backslashes, empty strings, nulls, millisecond datetimes, UDFs) are written once per test
through the record service; Hypothesis then draws random filter documents (every operator,
nested and/or groups, the ``udf`` flag, keys and names in any letter case), and each one is
run through the real database (``select_page`` and ``count``) and through
``mspcrm.query.evaluator.matches`` over every stored record. The id sets must be equal, on
SQLite and on PostgreSQL.

Bugs this suite found are kept as regression tests at the end of this file;
the generators keep clear of exactly those inputs (each exclusion names its test):

* a Python ``lower()`` that differs from the database's (``"İ"``, final ``"Σ"``):
  ``test_regression_dotted_capital_i``
* ``""`` for a non-text field: ``test_regression_empty_string_on_non_text_field``
* gt/gte/lt/lte on a boolean field: ``test_regression_ordering_operator_on_boolean``
* date UDF values before the year 1000: ``test_regression_date_udf_before_year_1000``
* NUL characters in a text value: ``test_regression_nul_in_text_value``
* values that overflow (inf, 10**400, dates past year 1..9999 after the UTC shift):
  ``test_regression_overflow_is_a_query_error``

Size: ``MSPCRM_TEST_SIZE=large`` runs ~2000 examples per property, the default ~150.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from mspcrm.domain.entities import COMPANY, CONTACT
from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import (
    Boolean,
    DateTime,
    Double,
    Field,
    Flag,
    Integer,
    Text,
    format_datetime,
)
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.errors import MspcrmError, QueryError
from mspcrm.query import parse_query
from mspcrm.query.ast import OPERATORS, TEXT_OPERATORS, Group, Query
from mspcrm.query.evaluator import matches
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.store import repository
from mspcrm.store.compile import compile_filter
from mspcrm.store.schema import entity_table

LARGE = os.environ.get("MSPCRM_TEST_SIZE", "").lower() == "large"
EXAMPLES = 2000 if LARGE else 150

# ``services`` is function scoped, so Hypothesis would warn that it is not reset between
# examples. That is intended here: the data is written once per test function, and every
# example only reads it (read transactions, never a write).
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ---------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------

INJECTION = "x'; DROP TABLE companies; --"
TEXTS = (
    "Acme",
    "ACME",
    "acme",
    "aCmE Corp",
    "Café",
    "CAFÉ",
    "café au lait",
    "Öl & Gas",
    "ÖL",
    "öl",
    "Zürich",
    "ZÜRICH",
    "zurich",
    "Straße",
    "STRASSE",
    "100%",
    "100% pure",
    "50_50",
    "a_b",
    "aXb",
    "a%b",
    "back\\slash",
    "C:\\Temp\\",
    "\\",
    "%",
    "_",
    "",
    " ",
    "  padded  ",
    "O'Brien",
    'say "hi"',
    INJECTION,
    "naïve",
    "Ünïcödé",
    "日本語",
    "éa",
    "ea",
    "Ea",
    "z",
    "Z",
    "-",
    "42",
    "007",
)  # no "İ" or "Σ" (test_regression_dotted_capital_i) and no NUL (test_regression_nul_in_text_value)
NAMES = tuple(t for t in TEXTS if t.strip())
DATETIMES = (
    "2023-01-01T00:00:00Z",
    "2023-01-01T00:00:00.001Z",
    "2023-01-01T00:00:00.123Z",
    "2022-12-31T23:59:59.999Z",
    "2023-01-01",
    "2024-02-29T12:30:45.5Z",
    "2023-06-15T08:00:00+02:00",
    "1999-12-31T23:59:59Z",
    "2100-01-01T00:00:00.000Z",
    "1970-01-01T00:00:00Z",
)  # date UDFs only from the year 1000 on: test_regression_date_udf_before_year_1000
NUMBERS = (0, 1, -1, 5, 12.5, 1000, 1e6, -3.25, 0.1, 250, 1e-7)
INTEGERS = (0, 1, -1, 7, 42, 2**31 - 1, -(2**31))

COMPANY_UDFS = (
    UdfDefinition(entity="Company", name="Number of Employees", type="number"),
    UdfDefinition(entity="Company", name="Segment Code", type="string", length=100),
    UdfDefinition(entity="Company", name="Contract Start", type="date"),
)
CONTACT_UDFS = (
    UdfDefinition(entity="Contact", name="Score", type="number"),
    UdfDefinition(entity="Contact", name="Nickname", type="string", length=100),
    UdfDefinition(entity="Contact", name="Birthday", type="date"),
)


def _maybe(rng: random.Random, values: tuple[Any, ...], none: float = 0.25) -> Any:
    return None if rng.random() < none else rng.choice(values)


def _text(rng: random.Random, length: int, none: float = 0.25) -> str | None:
    value = _maybe(rng, TEXTS, none)
    return None if value is None else value[:length]


def _udfs(rng: random.Random, definitions: tuple[UdfDefinition, ...]) -> list[dict[str, Any]]:
    pools = {"number": NUMBERS, "string": TEXTS, "date": DATETIMES}
    out = []
    for definition in definitions:
        roll = rng.random()
        if roll < 0.2:
            continue  # not given at all
        value = None if roll < 0.3 else rng.choice(pools[definition.type])
        out.append({"name": definition.name, "value": value})
    return out


def company_bodies(rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {
            "companyName": f"{rng.choice(NAMES)} {i}",
            "companyType": rng.randint(1, 7),
            "classification": _maybe(rng, (1, 2, 3, 4)),
            "competitorID": _maybe(rng, INTEGERS),
            "city": _text(rng, 50),
            "address1": _text(rng, 150),
            "phone": _text(rng, 25),
            "stockSymbol": _text(rng, 10),
            "webAddress": _text(rng, 255),
            "isActive": rng.choice((True, False)),
            "isTaxExempt": _maybe(rng, (True, False)),
            "isClientPortalActive": _maybe(rng, (True, False)),
            "userDefinedFields": _udfs(rng, COMPANY_UDFS),
        }


def contact_bodies(
    rng: random.Random, count: int, companies: list[int]
) -> Iterator[dict[str, Any]]:
    for i in range(count):
        local = rng.choice(("John", "mary", "O_Neil", "a%b", "x.Y"))
        domain = rng.choice(("Example.COM", "example.com", "x.org"))
        yield {
            "companyID": rng.choice(companies),
            "firstName": rng.choice(NAMES)[:50],
            "lastName": rng.choice(NAMES)[:50],
            "emailAddress": None if rng.random() < 0.2 else f"{local}{i}@{domain}",
            "city": _text(rng, 32),
            "title": _text(rng, 50),
            "note": _text(rng, 250),
            "middleInitial": _text(rng, 2),
            "isActive": rng.choice((1, 0, True, "false")),
            "primaryContact": rng.choice((True, False)),
            "receivesEmailNotifications": _maybe(rng, (True, False)),
            "bulkEmailOptOutTime": _maybe(rng, DATETIMES),
            "solicitationOptOutTime": _maybe(rng, DATETIMES),
            "userDefinedFields": _udfs(rng, CONTACT_UDFS),
        }


@dataclass
class EntityData:
    entity: Entity
    udfs: dict[str, Field]  # UDF name -> field, as the parser gets them
    records: list[dict[str, Any]]  # evaluator inputs: stored fields plus UDF values by name
    strategy: st.SearchStrategy[dict[str, Any]] = field(init=False)


@dataclass
class Dataset:
    services: Services
    entities: dict[str, EntityData]

    def __repr__(self) -> str:  # Hypothesis prints the arguments of a failing example
        sizes = ", ".join(f"{n}: {len(d.records)} records" for n, d in self.entities.items())
        return f"Dataset({self.services.db.dialect}; {sizes})"

    def run(self, name: str, document: Any) -> tuple[Query, list[int], int, set[int]]:
        """Parse ``document``; return the query, SQL ids, SQL count and the evaluator's ids."""
        data = self.entities[name]
        query = parse_query(data.entity, document, data.udfs, strict=True)
        with self.services.db.read() as conn:
            rows = repository.select_page(conn, data.entity, query.where, limit=10_000)
            total = repository.count(conn, data.entity, query.where)
        expected = {r["id"] for r in data.records if matches(query.where, r)}
        return query, [r["id"] for r in rows], total, expected


def evaluator_input(record: dict[str, Any], udfs: dict[str, Field]) -> dict[str, Any]:
    """A stored record with its UDF values merged in by name (date UDFs back to datetimes)."""
    merged = dict(record)
    stored = record.get(repository.UDFS) or {}
    for name, udf in udfs.items():
        value = stored.get(name)
        if isinstance(udf.kind, DateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        merged[name] = value
    return merged


def load(services: Services, entity: Entity) -> EntityData:
    with services.db.read() as conn:
        udfs = services.records.udf_fields(conn, entity)
        rows = repository.select_page(conn, entity, Group("and", ()), limit=10_000)
    data = EntityData(entity, udfs, [evaluator_input(r, udfs) for r in rows])
    data.strategy = documents(data)
    return data


def seed(services: Services, companies: int = 45, contacts: int = 45) -> Dataset:
    for definition in (*COMPANY_UDFS, *CONTACT_UDFS):
        services.admin.add_udf(definition)
    owner, _ = services.admin.create_resource("Owner", "Resource", "owner@example.com")
    actor = Actor(resource_id=owner, channel="api")
    rng = random.Random(20240229)
    company_ids = [0]
    for body in company_bodies(rng, companies):
        if company_ids[1:] and rng.random() < 0.3:
            body["parentCompanyID"] = rng.choice(company_ids[1:])
        company_ids.append(services.records.create(COMPANY, body, actor))
    for body in contact_bodies(rng, contacts, company_ids):
        services.records.create(CONTACT, body, actor)
    return Dataset(services, {e.name: load(services, e) for e in (COMPANY, CONTACT)})


@pytest.fixture
def dataset(services: Services) -> Dataset:
    return seed(services)


# ---------------------------------------------------------------------------------------
# Filter documents
# ---------------------------------------------------------------------------------------

ALPHABET = "aAbBzZeEéÉöÖüÜßẞ日 %_\\'\"-;0"
MIN_DATETIME = datetime(1000, 1, 1)  # test_regression_date_udf_before_year_1000
MAX_DATETIME = datetime(9999, 12, 31)
ALL_OPS = tuple(OPERATORS.values())
NON_TEXT_OPS = tuple(op for op in ALL_OPS if op not in TEXT_OPERATORS)
ORDERING_OPS = ("gt", "gte", "lt", "lte")
# no gt/gte/lt/lte on booleans: test_regression_ordering_operator_on_boolean
BOOLEAN_OPS = tuple(op for op in NON_TEXT_OPS if op not in ORDERING_OPS)
BOOLEANS = (True, False, "true", "false", "True", "FALSE", 1, 0, "1", "0")


def spellings(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from((name, name.lower(), name.upper()))


@st.composite
def text_value(draw: st.DrawFn, stored: list[Any]) -> str:
    if not stored or draw(st.integers(0, 3)) == 0:
        return draw(st.text(ALPHABET, max_size=8))
    value: str = draw(st.sampled_from(stored))
    value = draw(st.sampled_from((value, value.upper(), value.lower(), value.swapcase())))
    start = draw(st.integers(0, len(value)))
    end = draw(st.integers(start, len(value)))
    cut = draw(st.sampled_from(("whole", "whole", "prefix", "suffix", "middle")))
    return {
        "whole": value,
        "prefix": value[:end],
        "suffix": value[start:],
        "middle": value[start:end],
    }[cut]


def datetime_text(moment: datetime, style: str) -> str:
    if style == "z":
        return format_datetime(moment)
    if style == "millis":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    if style == "offset":
        return (moment + timedelta(hours=2)).isoformat() + "+02:00"
    if style == "date":
        return moment.date().isoformat()
    return moment.isoformat()


@st.composite
def datetime_value(draw: st.DrawFn, stored: list[Any]) -> str:
    if stored and draw(st.integers(0, 3)) > 0:
        moment: datetime = draw(st.sampled_from(stored))
        moment += timedelta(milliseconds=draw(st.sampled_from((0, 0, 0, -1, 1, -1000))))
    else:
        moment = draw(st.datetimes(MIN_DATETIME, MAX_DATETIME))
    style = draw(st.sampled_from(("z", "millis", "offset", "date", "iso")))
    return datetime_text(moment, style)


@st.composite
def number_value(draw: st.DrawFn, stored: list[Any], low: int, high: int, whole: bool) -> Any:
    if stored and draw(st.integers(0, 3)) > 0:
        value = draw(st.sampled_from(stored)) + draw(st.sampled_from((0, 0, 0, -1, 1)))
        if not low <= value <= high:
            value = draw(st.sampled_from(stored))
    elif whole:
        value = draw(st.integers(low, high))
    else:
        value = draw(
            st.floats(-1e15, 1e15, allow_nan=False, allow_infinity=False)
            | st.integers(-(10**9), 10**9)
        )
    if whole and draw(st.booleans()):
        return str(value)  # numeric strings are coerced
    return value


def value_strategy(f: Field, stored: list[Any]) -> st.SearchStrategy[Any]:
    kind = f.kind
    if isinstance(kind, Text):
        return text_value(stored)
    if isinstance(kind, Flag):
        return st.sampled_from(BOOLEANS)
    if isinstance(kind, Integer):
        return number_value(stored, kind.low, kind.high, whole=True)
    if isinstance(kind, Double):
        return number_value(stored, -(10**15), 10**15, whole=False)
    if isinstance(kind, Boolean):
        return st.sampled_from(BOOLEANS)
    if isinstance(kind, DateTime):
        return datetime_value(stored)
    raise AssertionError(f"no value strategy for {f.name}")


@dataclass(frozen=True)
class FieldChoice:
    field: Field
    values: st.SearchStrategy[Any]


def field_choices(data: EntityData) -> tuple[list[FieldChoice], list[FieldChoice]]:
    """(regular fields, weighted to the populated ones; UDF fields)."""
    regular: list[FieldChoice] = []
    for f in data.entity.fields:
        if not f.queryable:
            continue
        stored = sorted({r[f.name] for r in data.records if r[f.name] is not None}, key=repr)
        choice = FieldChoice(f, value_strategy(f, stored))
        regular.extend([choice] * (6 if stored else 1))
    udfs = []
    for name, f in data.udfs.items():
        stored = sorted({r[name] for r in data.records if r[name] is not None}, key=repr)
        udfs.append(FieldChoice(f, value_strategy(f, stored)))
    return regular, udfs


def key(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from((name, name.capitalize(), name.upper()))


@st.composite
def condition(draw: st.DrawFn, choices: list[FieldChoice]) -> dict[str, Any]:
    choice = draw(st.sampled_from(choices))
    f = choice.field
    if f.is_text:
        op = draw(st.sampled_from(ALL_OPS))
    else:
        op = draw(st.sampled_from(BOOLEAN_OPS if isinstance(f.kind, Boolean) else NON_TEXT_OPS))
    doc = {draw(key("op")): draw(spellings(op)), draw(key("field")): draw(spellings(f.name))}
    if f.udf:
        doc["udf"] = draw(st.sampled_from((True, "true", 1, "1")))
    if op in ("in", "notIn"):
        values = draw(st.lists(choice.values | st.none(), max_size=5))
        doc[draw(key("value"))] = draw(st.sampled_from((values, values[0]))) if values else values
    elif op in ("eq", "noteq"):
        doc[draw(key("value"))] = draw(choice.values | st.none())
    elif op not in ("exist", "notExist"):
        doc[draw(key("value"))] = draw(choice.values)
    return doc


@st.composite
def node(draw: st.DrawFn, choices: list[FieldChoice], depth: int) -> dict[str, Any]:
    if depth >= 3 or draw(st.integers(0, 2)) > 0:
        return draw(condition(choices))
    items = draw(st.lists(node(choices, depth + 1), max_size=4))
    group = draw(st.sampled_from(("and", "or", "AND", "OR", "Or")))
    return {draw(key("op")): group, draw(key("items")): items}


def documents(data: EntityData) -> st.SearchStrategy[dict[str, Any]]:
    regular, udfs = field_choices(data)

    @st.composite
    def document(draw: st.DrawFn) -> dict[str, Any]:
        # at most one UDF per query: pick the one this document may use, if any
        udf = draw(st.sampled_from([None, *udfs]))
        choices = regular + ([udf] * (len(regular) // 5) if udf else [])
        items = draw(st.lists(node(choices, 0), max_size=3))
        return {draw(key("filter")): items}

    return document()


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["Company", "Contact"])
@PROPERTY_SETTINGS
@given(data=st.data())
def test_sql_selects_what_the_evaluator_selects(
    dataset: Dataset, entity: str, data: st.DataObject
) -> None:
    document = data.draw(dataset.entities[entity].strategy, label="document")
    query, ids, total, expected = dataset.run(entity, document)
    note(f"parsed: {query.where}")
    size = len(dataset.entities[entity].records)
    event("matches " + ("none" if not expected else "all" if len(expected) == size else "some"))
    event("uses a UDF" if query.udf_fields else "no UDF")
    assert ids == sorted(set(ids)), "select_page must return distinct ids in ascending order"
    assert set(ids) == expected, (
        f"SQL only: {sorted(set(ids) - expected)}; evaluator only: {sorted(expected - set(ids))}"
    )
    assert total == len(expected)


# a few fixed documents worth running on every engine whatever Hypothesis draws
FIXED_DOCUMENTS = [
    ("Company", {"filter": []}),
    ("Company", {"filter": [{"op": "contains", "field": "city", "value": "%"}]}),
    ("Company", {"filter": [{"op": "contains", "field": "city", "value": "_"}]}),
    ("Company", {"filter": [{"op": "contains", "field": "address1", "value": "\\"}]}),
    ("Company", {"filter": [{"op": "beginsWith", "field": "city", "value": "a_"}]}),
    ("Company", {"filter": [{"op": "endsWith", "field": "city", "value": "\\"}]}),
    ("Company", {"filter": [{"op": "eq", "field": "city", "value": "café"}]}),
    ("Company", {"filter": [{"op": "eq", "field": "CITY", "value": "zürich"}]}),
    ("Company", {"filter": [{"op": "gt", "field": "city", "value": "z"}]}),
    ("Company", {"filter": [{"op": "lt", "field": "city", "value": "É"}]}),
    ("Company", {"filter": [{"op": "eq", "field": "city", "value": ""}]}),
    ("Company", {"filter": [{"op": "noteq", "field": "city", "value": ""}]}),
    ("Company", {"filter": [{"op": "eq", "field": "city", "value": None}]}),
    ("Company", {"filter": [{"op": "notIn", "field": "city", "value": ["acme", None]}]}),
    ("Company", {"filter": [{"op": "in", "field": "city", "value": []}]}),
    ("Company", {"filter": [{"op": "notIn", "field": "city", "value": []}]}),
    ("Company", {"filter": [{"op": "eq", "field": "city", "value": INJECTION}]}),
    (
        "Company",
        {"filter": [{"op": "gt", "field": "Number of Employees", "value": 0, "udf": True}]},
    ),
    ("Company", {"filter": [{"op": "exist", "field": "segment code", "udf": "true"}]}),
    ("Company", {"filter": [{"op": "contains", "field": "Segment Code", "value": "É", "udf": 1}]}),
    (
        "Company",
        {"filter": [{"op": "gte", "field": "Contract Start", "value": "2023-01-01", "udf": True}]},
    ),
    (
        "Company",
        {
            "filter": [
                {
                    "op": "OR",
                    "items": [
                        {"op": "eq", "field": "isTaxExempt", "value": "true"},
                        {
                            "op": "AND",
                            "items": [
                                {"op": "notExist", "field": "isTaxExempt"},
                                {"op": "lt", "field": "competitorID", "value": "0"},
                            ],
                        },
                    ],
                }
            ]
        },
    ),
    ("Contact", {"filter": [{"op": "eq", "field": "isActive", "value": "true"}]}),
    ("Contact", {"filter": [{"op": "eq", "field": "isactive", "value": False}]}),
    (
        "Contact",
        {
            "filter": [
                {"op": "gte", "field": "bulkEmailOptOutTime", "value": "2023-01-01T00:00:00.001Z"}
            ]
        },
    ),
    (
        "Contact",
        {
            "filter": [
                {"op": "lt", "field": "bulkEmailOptOutTime", "value": "2023-01-01T00:00:00.000Z"}
            ]
        },
    ),
    (
        "Contact",
        {
            "filter": [
                {"op": "eq", "field": "bulkEmailOptOutTime", "value": "2023-06-15T08:00:00+02:00"}
            ]
        },
    ),
    (
        "Contact",
        {
            "filter": [
                {"op": "lt", "field": "Birthday", "value": "2023-01-01T00:00:00.123Z", "udf": True}
            ]
        },
    ),
]


def test_fixed_documents(dataset: Dataset) -> None:
    """The data is as varied as intended, and hand-picked edge cases agree (one seed per engine)."""
    companies = dataset.entities["Company"].records
    contacts = dataset.entities["Contact"].records
    assert len(companies) > 40 and len(contacts) > 40
    cities = [r["city"] for r in companies]
    assert None in cities and "" in cities
    texts = [t for r in companies for t in (r["city"], r["address1"]) if t]
    assert any(c in t for t in texts for c in "ÉÖé") and any("%" in t for t in texts)
    assert {r["Number of Employees"] is None for r in companies} == {True, False}
    assert any(isinstance(r["Birthday"], datetime) and r["Birthday"].microsecond for r in contacts)
    assert {r["isActive"] for r in contacts} == {0, 1}

    wrong, matched = [], 0
    for entity, document in FIXED_DOCUMENTS:
        _, ids, total, expected = dataset.run(entity, document)
        matched += bool(expected)
        if set(ids) != expected or total != len(expected):
            wrong.append(
                f"{entity} {document}: SQL {sorted(ids)} ({total}), evaluator {sorted(expected)}"
            )
    assert not wrong, "\n".join(wrong)
    # guard against data so bland that the comparisons above are trivially empty
    assert matched >= len(FIXED_DOCUMENTS) - 6

    # the hostile text did no harm
    with dataset.services.db.read() as conn:
        assert repository.count(conn, COMPANY, Group("and", ())) == len(companies)


# ---------------------------------------------------------------------------------------
# Values are bound parameters, never SQL text
# ---------------------------------------------------------------------------------------

SQL_LOOKING = st.sampled_from(
    (
        INJECTION,
        "'; DELETE FROM contacts WHERE '1'='1",
        "Robert'); DROP TABLE students;--",
        "\\'; SELECT pg_sleep(10); --",
        "' OR 1=1 --",
        "%' OR 'x' LIKE '%",
        "$$; DROP TABLE x; $$",
    )
)
DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}
BOUND_UDFS = {d.name: d.as_field() for d in COMPANY_UDFS}


@st.composite
def hostile_document(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    marker = draw(SQL_LOOKING) + draw(st.text(ALPHABET, max_size=6))
    name, udf = draw(
        st.sampled_from(
            (("companyName", False), ("city", False), ("webAddress", False), ("Segment Code", True))
        )
    )
    op = draw(st.sampled_from(ALL_OPS))
    cond: dict[str, Any] = {"op": op, "field": name}
    if udf:
        cond["udf"] = True
    if op in ("in", "notIn"):
        cond["value"] = [marker, draw(st.text(ALPHABET, max_size=4))]
    elif op not in ("exist", "notExist"):
        cond["value"] = marker
    wrapper = draw(st.sampled_from(("plain", "and", "or")))
    item = (
        cond
        if wrapper == "plain"
        else {"op": wrapper, "items": [cond, {"op": "exist", "field": "id"}]}
    )
    return {"filter": [item]}, marker


def compile_sql(document: dict[str, Any], name: str, dialect: sa.engine.Dialect) -> str:
    query = parse_query(COMPANY, document, BOUND_UDFS)
    table = entity_table(COMPANY)
    statement = sa.select(table.c.id).where(compile_filter(query.where, table, name))
    return str(statement.compile(dialect=dialect))


@settings(max_examples=EXAMPLES, deadline=None)
@given(hostile_document())
def test_values_never_become_sql_text(case: tuple[dict[str, Any], str]) -> None:
    document, marker = case
    neutral = json.loads(json.dumps(document).replace(json.dumps(marker)[1:-1], "neutral"))
    for name, dialect in DIALECTS.items():
        sql = compile_sql(document, name, dialect)
        for form in (marker, marker.lower(), marker.replace("'", "''")):
            assert form not in sql, f"{name}: {sql}"
        # and the SQL text does not depend on the value at all
        assert sql == compile_sql(neutral, name, dialect)


def test_bound_parameters_carry_the_values() -> None:
    """The counterpart: the value is really there, as a parameter."""
    query = parse_query(COMPANY, {"filter": [{"op": "eq", "field": "city", "value": INJECTION}]})
    table = entity_table(COMPANY)
    for name, dialect in DIALECTS.items():
        compiled = (
            sa.select(table.c.id)
            .where(compile_filter(query.where, table, name))
            .compile(dialect=dialect)
        )
        # PostgreSQL lowers it (as it lowers the column); SQLite's lower() is Python's own
        # (store.database), so the value is lowered before it is bound: the same text
        bound = INJECTION.lower() if name == "sqlite" else INJECTION
        assert bound in compiled.params.values()
        assert INJECTION.lower() not in str(compiled).lower()


# ---------------------------------------------------------------------------------------
# Parsing never crashes: any document is a Query or an MspcrmError
# ---------------------------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(-1e12, 1e12, allow_nan=False)
    | st.text(ALPHABET, max_size=6)
    | st.sampled_from(("2023-01-01", "2023-01-01T00:00:00.000Z", "true", "1", "", "eq"))
)  # no inf, huge ints or pre-1 AD offsets: see the OverflowError regression tests
JUNK = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELD_NAMES = [f.name for f in COMPANY.fields] + [d.name for d in COMPANY_UDFS] + ["nope", ""]


@st.composite
def junk_condition(draw: st.DrawFn) -> Any:
    return {
        "op": draw(st.sampled_from([*ALL_OPS, "and", "or", "ne", "", "LIKE"]) | JSON_SCALARS),
        "field": draw(st.sampled_from(FIELD_NAMES) | JSON_SCALARS),
        "value": draw(JUNK),
        "udf": draw(JSON_SCALARS),
        "items": draw(st.lists(JUNK, max_size=2) | JSON_SCALARS),
    }


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "filter": st.lists(junk_condition() | JUNK, max_size=3) | JUNK,
            "IncludeFields": st.lists(st.sampled_from(FIELD_NAMES) | JSON_SCALARS, max_size=3)
            | JUNK,
            "MaxRecords": JSON_SCALARS,
        },
    ),
    st.booleans(),
)
def test_parser_never_crashes(document: dict[str, Any], strict: bool) -> None:
    with contextlib.suppress(MspcrmError):
        parse_query(COMPANY, document, BOUND_UDFS, strict=strict)


# ---------------------------------------------------------------------------------------
# Regressions: known bugs, pinned (each must start passing once its bug is fixed)
# ---------------------------------------------------------------------------------------


def _create_company(services: Services, body: dict[str, Any]) -> int:
    owner, _ = services.admin.create_resource("Owner", "Resource", "owner@example.com")
    return services.records.create(COMPANY, body, Actor(resource_id=owner, channel="api"))


def _compare(
    services: Services, entity: Entity, document: dict[str, Any]
) -> tuple[set[int], set[int]]:
    with services.db.read() as conn:
        udfs = services.records.udf_fields(conn, entity)
        query = parse_query(entity, document, udfs)
        rows = repository.select_page(conn, entity, Group("and", ()), limit=10_000)
        found = {r["id"] for r in repository.select_page(conn, entity, query.where, limit=10_000)}
    expected = {r["id"] for r in rows if matches(query.where, evaluator_input(r, udfs))}
    return found, expected


@pytest.mark.parametrize("city", ["İstanbul", "ΟΔΟΣ"])
def test_regression_dotted_capital_i(services: Services, city: str) -> None:
    """A value must at least match itself, whatever Python's and the database's lower() say."""
    company = _create_company(services, {"companyName": "Acme", "companyType": 1, "city": city})
    found, expected = _compare(
        services, COMPANY, {"filter": [{"op": "eq", "field": "city", "value": city}]}
    )
    assert expected == {company}
    assert found == expected


def test_regression_empty_string_on_non_text_field(services: Services) -> None:
    """``eq ""`` on an integer field: SQL selects the nulls, the evaluator nothing."""
    _create_company(services, {"companyName": "Acme", "companyType": 1})
    found, expected = _compare(
        services, COMPANY, {"filter": [{"op": "eq", "field": "competitorID", "value": ""}]}
    )
    assert found == expected


def test_regression_empty_string_in_not_in_list(services: Services) -> None:
    _create_company(services, {"companyName": "Acme", "companyType": 1, "competitorID": 5})
    found, expected = _compare(
        services, COMPANY, {"filter": [{"op": "notIn", "field": "competitorID", "value": [""]}]}
    )
    assert found == expected


def test_regression_empty_string_gt_is_refused_or_null() -> None:
    with pytest.raises(QueryError, match="needs a value"):
        parse_query(COMPANY, {"filter": [{"op": "gt", "field": "competitorID", "value": ""}]})


def test_regression_date_udf_before_year_1000(services: Services) -> None:
    services.admin.add_udf(UdfDefinition(entity="Company", name="Contract Start", type="date"))
    company = _create_company(
        services,
        {
            "companyName": "Acme",
            "companyType": 1,
            "userDefinedFields": [{"name": "Contract Start", "value": "0999-06-01"}],
        },
    )
    found, expected = _compare(
        services,
        COMPANY,
        {"filter": [{"op": "lt", "field": "Contract Start", "value": "2000-01-01", "udf": True}]},
    )
    assert expected == {company}
    assert found == expected


def test_regression_nul_in_text_value(services: Services) -> None:
    """A NUL in a filter value: refuse it as a QueryError or match nothing, never a DB error."""
    _create_company(services, {"companyName": "Acme", "companyType": 1, "city": "ab"})
    try:
        found, expected = _compare(
            services, COMPANY, {"filter": [{"op": "eq", "field": "city", "value": "a\x00b"}]}
        )
    except MspcrmError:
        return
    assert found == expected


@pytest.mark.parametrize("op", ORDERING_OPS)
def test_regression_ordering_operator_on_boolean(services: Services, op: str) -> None:
    """gt/gte/lt/lte on a boolean: refuse with a QueryError, or answer like the evaluator."""
    _create_company(services, {"companyName": "Acme", "companyType": 1, "isTaxExempt": True})
    try:
        found, expected = _compare(
            services, COMPANY, {"filter": [{"op": op, "field": "isTaxExempt", "value": False}]}
        )
    except MspcrmError:
        return
    assert found == expected


def test_regression_empty_or_group(services: Services) -> None:
    _create_company(services, {"companyName": "Acme", "companyType": 1})
    where = Group("and", (Group("or", ()),))
    with services.db.read() as conn:
        found = repository.select_page(conn, COMPANY, where, limit=100)
        rows = repository.select_page(conn, COMPANY, Group("and", ()), limit=100)
    assert {r["id"] for r in found} == {r["id"] for r in rows if matches(where, r)}


@pytest.mark.parametrize(
    ("document", "what"),
    [
        ({"filter": [], "MaxRecords": float("inf")}, "int(inf) in _max_records"),
        (
            {
                "filter": [
                    {"op": "gt", "field": "Number of Employees", "value": 10**400, "udf": True}
                ]
            },
            "float(10**400) in Double.coerce",
        ),
        (
            {
                "filter": [
                    {
                        "op": "gt",
                        "field": "Contract Start",
                        "value": "0001-01-01T00:00:00+01:00",
                        "udf": True,
                    }
                ]
            },
            "astimezone(UTC) before year 1 in normalise_datetime",
        ),
        (
            {
                "filter": [
                    {"op": "gte", "field": "lastActivityDate", "value": "9999-12-31T23:59:59-01:00"}
                ]
            },
            "astimezone(UTC) after year 9999 in normalise_datetime",
        ),
    ],
)
def test_regression_overflow_is_a_query_error(document: dict[str, Any], what: str) -> None:
    with pytest.raises(MspcrmError):
        parse_query(COMPANY, document, BOUND_UDFS)
