"""The company tree in SQL: ancestors and descendants through recursive CTEs, subtree roll-ups.

``WITH RECURSIVE`` works the same on SQLite and PostgreSQL. Every walk stops at
``MAX_DEPTH`` levels, so even a cycle written around the services cannot loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION, CONTACT, CONTRACT, OPPORTUNITY
from mspcrm.store.schema import entity_table

MAX_DEPTH = 100
OPEN_OPPORTUNITY_STATUSES = (0, 1)  # Not Ready To Buy, Active
ACTIVE_CONTRACT = 1


def _node_columns(companies: sa.Table, depth: Any) -> list[Any]:
    return [
        companies.c.id,
        companies.c.company_name,
        companies.c.parent_company_id,
        companies.c.company_type,
        companies.c.is_active,
        depth.label("depth"),
    ]


def _node(row: Any) -> dict[str, Any]:
    return {
        "id": int(row.id),
        "companyName": row.company_name,
        "parentCompanyID": row.parent_company_id,
        "companyType": row.company_type,
        "isActive": bool(row.is_active),
        "depth": int(row.depth),
    }


def subtree_cte(company_id: int, max_depth: int = MAX_DEPTH) -> sa.CTE:
    """The company and every company below it, with its depth (0 for the company itself)."""
    c = entity_table(COMPANY)
    base = sa.select(*_node_columns(c, sa.literal(0))).where(c.c.id == company_id)
    tree = base.cte("subtree", recursive=True)
    step = sa.select(*_node_columns(c, tree.c.depth + 1)).join(
        tree, c.c.parent_company_id == tree.c.id
    )
    return tree.union_all(step.where(tree.c.depth < max_depth, c.c.id != tree.c.id))


def descendants(
    conn: Connection, company_id: int, max_depth: int = MAX_DEPTH
) -> list[dict[str, Any]]:
    """The subtree rooted at ``company_id`` (itself first), ordered by depth, then name."""
    tree = subtree_cte(company_id, max_depth)
    rows = conn.execute(
        sa.select(tree).order_by(tree.c.depth, sa.func.lower(tree.c.company_name), tree.c.id)
    )
    seen: dict[int, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(int(row.id), _node(row))  # a cycle would repeat ids: keep the first
    return list(seen.values())


def ancestors(conn: Connection, company_id: int) -> list[dict[str, Any]]:
    """The chain above ``company_id``: its parent first, the root last."""
    c = entity_table(COMPANY)
    start = sa.select(c.c.parent_company_id.label("next_id"), sa.literal(1).label("depth")).where(
        c.c.id == company_id
    )
    chain = start.cte("ancestors", recursive=True)
    step = (
        sa.select(c.c.parent_company_id, chain.c.depth + 1)
        .join(chain, c.c.id == chain.c.next_id)
        .where(chain.c.depth < MAX_DEPTH)
    )
    chain = chain.union_all(step)
    query = (
        sa.select(*_node_columns(c, chain.c.depth))
        .join(chain, c.c.id == chain.c.next_id)
        .order_by(chain.c.depth)
    )
    seen: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query):
        seen.setdefault(int(row.id), _node(row))
    return list(seen.values())


def _grouped(conn: Connection, statement: sa.Select[Any]) -> dict[int, tuple[Any, ...]]:
    return {int(row[0]): tuple(row[1:]) for row in conn.execute(statement)}


def rollup_counts(conn: Connection, company_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Per company: active contacts, active sites, open opportunities (count, amount,
    weighted amount by probability) and active contracts (count, estimated revenue)."""
    ids = list(company_ids)
    contacts, sites = entity_table(CONTACT), entity_table(COMPANY_LOCATION)
    opps, contracts = entity_table(OPPORTUNITY), entity_table(CONTRACT)
    count = sa.func.count()
    people = _grouped(
        conn,
        sa.select(contacts.c.company_id, count)
        .where(contacts.c.company_id.in_(ids), contacts.c.is_active == 1)
        .group_by(contacts.c.company_id),
    )
    places = _grouped(
        conn,
        sa.select(sites.c.company_id, count)
        .where(sites.c.company_id.in_(ids), sites.c.is_active.is_not(False))
        .group_by(sites.c.company_id),
    )
    weighted = sa.func.sum(opps.c.amount * sa.func.coalesce(opps.c.probability, 0) / 100.0)
    pipeline = _grouped(
        conn,
        sa.select(opps.c.company_id, count, sa.func.sum(opps.c.amount), weighted)
        .where(opps.c.company_id.in_(ids), opps.c.status.in_(OPEN_OPPORTUNITY_STATUSES))
        .group_by(opps.c.company_id),
    )
    deals = _grouped(
        conn,
        sa.select(contracts.c.company_id, count, sa.func.sum(contracts.c.estimated_revenue))
        .where(contracts.c.company_id.in_(ids), contracts.c.status == ACTIVE_CONTRACT)
        .group_by(contracts.c.company_id),
    )
    return {
        i: {
            "contacts": int(people.get(i, (0,))[0]),
            "sites": int(places.get(i, (0,))[0]),
            "openOpportunities": int(pipeline.get(i, (0, 0, 0))[0]),
            "openAmount": float(pipeline.get(i, (0, 0, 0))[1] or 0),
            "weightedAmount": round(float(pipeline.get(i, (0, 0, 0))[2] or 0), 2),
            "contracts": int(deals.get(i, (0, 0))[0]),
            "contractRevenue": float(deals.get(i, (0, 0))[1] or 0),
        }
        for i in ids
    }
