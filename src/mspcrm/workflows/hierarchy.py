"""Parent/child companies over the port: the tree around a company, its descendants and
the roll-up of a subtree.

The walk down asks for each level's children with ``parentCompanyID in (...)`` (500
values a query, the Autotask limit); the walk up reads one parent at a time. Each walk
stops at ``MAX_DEPTH`` levels and never visits a company twice, so even a cycle written
around the rules cannot loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION, CONTACT, CONTRACT, OPPORTUNITY
from mspcrm.workflows.port import Port, Record, eq, query_in, require

MAX_DEPTH = 100
OPEN_OPPORTUNITY_STATUSES = (0, 1)  # Not Ready To Buy, Active
ACTIVE_CONTRACT = 1
NODE_FIELDS = ("companyName", "parentCompanyID", "companyType", "isActive")
TOTALS = (
    "contacts",
    "sites",
    "openOpportunities",
    "openAmount",
    "weightedAmount",
    "contracts",
    "contractRevenue",
)
MONEY = ("openAmount", "weightedAmount", "contractRevenue")


def _node(record: Record, depth: int) -> dict[str, Any]:
    return {
        "id": int(record["id"]),
        "companyName": record.get("companyName"),
        "parentCompanyID": record.get("parentCompanyID"),
        "companyType": record.get("companyType"),
        "isActive": bool(record.get("isActive")),
        "depth": depth,
    }


def _order(node: dict[str, Any]) -> tuple[int, str, int]:
    return node["depth"], str(node["companyName"] or "").casefold(), node["id"]


def subtree(port: Port, company_id: int, max_depth: int = MAX_DEPTH) -> list[dict[str, Any]]:
    """The company (depth 0) and every company below it, by depth, then name."""
    nodes = [_node(require(port, COMPANY, company_id), 0)]
    seen = {company_id}
    level = [company_id]
    for depth in range(1, max_depth + 1):
        children = [
            _node(r, depth)
            for r in query_in(port, COMPANY.path, "parentCompanyID", level, fields=NODE_FIELDS)
            if int(r["id"]) not in seen
        ]
        if not children:
            break
        seen.update(c["id"] for c in children)
        nodes.extend(children)
        level = [c["id"] for c in children]
    return sorted(nodes, key=_order)


def ancestors(port: Port, company: dict[str, Any]) -> list[dict[str, Any]]:
    """The chain above ``company``: its parent first, the root last."""
    chain: list[dict[str, Any]] = []
    seen = {company["id"]}
    parent = company.get("parentCompanyID")
    while parent is not None and parent not in seen and len(chain) < MAX_DEPTH:
        found = port.get(COMPANY.path, int(parent))
        if found is None:
            break
        node = _node(found, len(chain) + 1)
        chain.append(node)
        seen.add(node["id"])
        parent = node["parentCompanyID"]
    return chain


def tree(port: Port, company_id: int, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The company, its ancestors (parent first) and its descendants (by depth)."""
    nodes = subtree(port, company_id, max_depth)
    return {"company": nodes[0], "ancestors": ancestors(port, nodes[0]), "descendants": nodes[1:]}


def descendants(port: Port, company_id: int, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    return {"companyID": company_id, "items": subtree(port, company_id, max_depth)[1:]}


def subtree_ids(port: Port, company_id: int) -> list[int]:
    return [n["id"] for n in subtree(port, company_id)]


def rollup(port: Port, company_id: int) -> dict[str, Any]:
    """Totals over the company and everything below it, and each company's own numbers."""
    nodes = subtree(port, company_id)
    numbers = rollup_counts(port, [n["id"] for n in nodes])
    rows = [{**node, **numbers[node["id"]]} for node in nodes]
    totals: dict[str, Any] = {name: sum(r[name] for r in rows) for name in TOTALS}
    for name in MONEY:
        totals[name] = round(float(totals[name]), 2)
    return {"companyID": company_id, "companies": len(rows), "totals": totals, "byCompany": rows}


def _number(value: Any) -> float:
    return float(value or 0)


def rollup_counts(port: Port, company_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per company: active contacts, active sites, open opportunities (count, amount,
    weighted amount by probability) and active contracts (count, estimated revenue)."""
    out: dict[int, dict[str, Any]] = {i: dict.fromkeys(TOTALS, 0) for i in company_ids}
    for i in company_ids:
        out[i].update(dict.fromkeys(MONEY, 0.0))

    def each(entity: str, extra: list[Any], fields: tuple[str, ...]) -> Iterable[Record]:
        return query_in(port, entity, "companyID", company_ids, extra, fields=fields)

    for person in each(CONTACT.path, [eq("isActive", 1)], ("companyID",)):
        out[person["companyID"]]["contacts"] += 1
    for site in each(COMPANY_LOCATION.path, [], ("companyID", "isActive")):
        if site.get("isActive") is not False:
            out[site["companyID"]]["sites"] += 1
    open_status = {"op": "in", "field": "status", "value": list(OPEN_OPPORTUNITY_STATUSES)}
    for opp in each(OPPORTUNITY.path, [open_status], ("companyID", "amount", "probability")):
        row = out[opp["companyID"]]
        row["openOpportunities"] += 1
        row["openAmount"] += _number(opp.get("amount"))
        row["weightedAmount"] += _number(opp.get("amount")) * _number(opp.get("probability")) / 100
    active = [eq("status", ACTIVE_CONTRACT)]
    for deal in each(CONTRACT.path, active, ("companyID", "estimatedRevenue")):
        out[deal["companyID"]]["contracts"] += 1
        out[deal["companyID"]]["contractRevenue"] += _number(deal.get("estimatedRevenue"))
    for row in out.values():
        row["weightedAmount"] = round(row["weightedAmount"], 2)
    return out
