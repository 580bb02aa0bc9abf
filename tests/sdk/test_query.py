"""The query builder renders exactly what the server's parser reads and renders back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mspcrm.domain.entities import COMPANY
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.query import parse_query
from mspcrm.query.render import render_query
from mspcrm.sdk.query import F, Node, Q, Query, and_, or_, to_document

EMPLOYEES = UdfDefinition(entity="Company", name="Number of Employees", type="number")
UDFS = {EMPLOYEES.name: EMPLOYEES.as_field()}


def server_round_trip(document: dict[str, Any]) -> dict[str, Any]:
    return render_query(parse_query(COMPANY, document, UDFS))


def test_operators_render_as_on_the_wire() -> None:
    doc = Q(
        F("companyName").contains("acme") & F("isActive").eq(True) | F("id").in_([1, 2]),
        F("city").begins_with("Os"),
        F("city").ends_with("lo"),
        F("phone").exists(),
        F("fax").not_exists(),
        F("companyType").noteq(4),
        F("id").gt(1) & F("id").gte(2) & F("id").lt(9) & F("id").lte(8),
        F("parentCompanyID").not_in([3]),
        F("Number of Employees", udf=True).gt(10),
        include_fields=["id", "companyName"],
        max_records=25,
    ).to_json()
    assert doc == {
        "filter": [
            {
                "op": "or",
                "items": [
                    {
                        "op": "and",
                        "items": [
                            {"op": "contains", "field": "companyName", "value": "acme"},
                            {"op": "eq", "field": "isActive", "value": True},
                        ],
                    },
                    {"op": "in", "field": "id", "value": [1, 2]},
                ],
            },
            {"op": "beginsWith", "field": "city", "value": "Os"},
            {"op": "endsWith", "field": "city", "value": "lo"},
            {"op": "exist", "field": "phone"},
            {"op": "notExist", "field": "fax"},
            {"op": "noteq", "field": "companyType", "value": 4},
            {"op": "gt", "field": "id", "value": 1},
            {"op": "gte", "field": "id", "value": 2},
            {"op": "lt", "field": "id", "value": 9},
            {"op": "lte", "field": "id", "value": 8},
            {"op": "notIn", "field": "parentCompanyID", "value": [3]},
            {"op": "gt", "field": "Number of Employees", "value": 10, "udf": True},
        ],
        "IncludeFields": ["id", "companyName"],
        "MaxRecords": 25,
    }
    assert server_round_trip(doc) == doc


def test_groups_flatten_and_helpers_match_operators() -> None:
    a, b, c = F("city").eq("A"), F("city").eq("B"), F("city").eq("C")
    assert (a | b) | c == or_(a, b, c)
    assert a & (b & c) == and_(a, b, c)
    assert a & b | c == or_(and_(a, b), c)
    with pytest.raises(ValueError, match="at least one condition"):
        or_()


def test_values_none_dates_and_keywords() -> None:
    oslo = timezone(timedelta(hours=2))
    doc = Q(
        F("createDate").gte(datetime(2024, 1, 2, 5, 4, 5, 120000, tzinfo=oslo)),
        F("lastActivityDate").lt(date(2024, 2, 1)),
        F("parentCompanyID").eq(None),
        F("webAddress").noteq(None),
        companyName="Acme",
    ).to_json()
    assert doc["filter"] == [
        {"op": "gte", "field": "createDate", "value": "2024-01-02T03:04:05.12Z"},
        {"op": "lt", "field": "lastActivityDate", "value": "2024-02-01T00:00:00Z"},
        {"op": "notExist", "field": "parentCompanyID"},
        {"op": "exist", "field": "webAddress"},
        {"op": "eq", "field": "companyName", "value": "Acme"},
    ]
    assert server_round_trip(doc) == doc


def test_every_accepted_form_becomes_a_document() -> None:
    raw = {"op": "eq", "field": "city", "value": "Oslo"}
    assert to_document(None) == {"filter": []}
    assert to_document(F("city").eq("Oslo")) == {"filter": [raw]}
    assert to_document(raw) == {"filter": [raw]}
    assert to_document([F("city").eq("Oslo"), raw]) == {"filter": [raw, raw]}
    assert to_document({"Filter": [raw], "maxRecords": 3}) == {"filter": [raw], "MaxRecords": 3}
    assert to_document(Query().where(F("city").eq("Oslo")).include("id").limit(5)) == {
        "filter": [raw],
        "IncludeFields": ["id"],
        "MaxRecords": 5,
    }
    with pytest.raises(TypeError, match="F"):
        to_document("companyName eq Acme")
    assert to_document(raw, include_fields=["city"], max_records=9) == {
        "filter": [raw],
        "IncludeFields": ["city"],
        "MaxRecords": 9,
    }


# ---- property: any tree the builder makes survives the server's parser and renderer ---------
TEXT_FIELDS = ("companyName", "city", "phone")
TEXT_OPS = ("eq", "noteq", "gt", "lt", "begins_with", "ends_with", "contains")
NUMBER_OPS = ("eq", "noteq", "gt", "gte", "lt", "lte")
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))


def _text_condition(draw: st.DrawFn) -> Node:
    field = F(draw(st.sampled_from(TEXT_FIELDS)))
    op = draw(st.sampled_from(TEXT_OPS))
    return getattr(field, op)(draw(texts))  # type: ignore[no-any-return]


@st.composite
def conditions(draw: st.DrawFn) -> Node:
    kind = draw(st.sampled_from(("text", "id", "bool", "date", "list", "null", "udf")))
    if kind == "text":
        return _text_condition(draw)
    if kind == "id":
        return getattr(F("id"), draw(st.sampled_from(NUMBER_OPS)))(draw(st.integers(0, 2**40)))  # type: ignore[no-any-return]
    if kind == "bool":
        return F("isActive").eq(draw(st.booleans()))
    if kind == "date":
        return getattr(F("createDate"), draw(st.sampled_from(NUMBER_OPS)))(draw(moments))  # type: ignore[no-any-return]
    if kind == "list":
        values = draw(st.lists(st.integers(1, 32767), max_size=5))  # companyType is a short
        return F("companyType").in_(values) if draw(st.booleans()) else F("id").not_in(values)
    if kind == "null":
        return F("fax").exists() if draw(st.booleans()) else F("fax").not_exists()
    return F(EMPLOYEES.name, udf=True).gte(draw(st.floats(-1e6, 1e6)))


trees = st.recursive(
    conditions(),
    lambda inner: st.lists(inner, min_size=1, max_size=4).flatmap(
        lambda items: st.sampled_from((and_(*items), or_(*items)))
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(trees, max_size=4), st.none() | st.integers(1, 499))
def test_builder_output_round_trips_through_the_server_parser(
    nodes: list[Node], max_records: int | None
) -> None:
    doc = Q(*nodes, max_records=max_records).to_json()
    try:
        parsed = parse_query(COMPANY, doc, UDFS)
    except Exception as exc:  # only the one-UDF-per-query rule may refuse a tree
        assert "Only one user-defined field" in str(exc)
        return
    assert render_query(parsed) == doc
