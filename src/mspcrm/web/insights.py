"""Data quality (the audit's findings, each with a link to fix it) and reports (companies
and pipeline grouped, as server-drawn SVG bar charts with the numbers beside them and a
CSV download). The same services as ``/api/v1/audit`` and ``/api/v1/reports``, and the
same right: read on every entity."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mspcrm.errors import ValidationError
from mspcrm.services.workflows import workflows_for
from mspcrm.web import render
from mspcrm.web.guard import PageCall, page
from mspcrm.workflows.reports import COMPANY_GROUPS, PIPELINE_GROUPS

REPORTS = {"companies": COMPANY_GROUPS, "pipeline": PIPELINE_GROUPS}
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, CHART_WIDTH = 22, 6, 180, 640


async def data_quality(call: PageCall) -> Response:
    found = await run_in_threadpool(lambda: workflows_for(call.services).audit.run())
    registry = call.services.registry
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in found["findings"]:
        entity = registry.by_name(finding["entity"])
        finding["href"] = f"/{entity.command}/{finding['id']}"
        if finding["rule"].startswith("duplicates."):
            finding["href"] = f"/{entity.command}/duplicates"
        by_rule.setdefault(finding["rule"], []).append(finding)
    context = {"by_rule": by_rule, "counts": found["counts"], "total": found["total"]}
    return render.page(call.request, "data_quality.html", context, session=call.session)


def _chosen(call: PageCall) -> tuple[str, str]:
    params = call.request.query_params
    name = params.get("report", "companies")
    if name not in REPORTS:
        raise ValidationError(f"No report named {name!r}: use {' or '.join(REPORTS)}")
    by = params.get("by", "")
    return name, by if by in REPORTS[name] else next(iter(REPORTS[name]))


def _run(call: PageCall, name: str, by: str) -> dict[str, Any]:
    reports = workflows_for(call.services).reports
    return reports.companies(by) if name == "companies" else reports.pipeline(by)


def bar_chart(rows: list[dict[str, Any]], measure: str) -> dict[str, Any]:
    """Geometry of a horizontal bar chart for ``rows`` by ``measure`` (drawn in SVG)."""
    top = max((float(r[measure]) for r in rows), default=0.0) or 1.0
    span = CHART_WIDTH - LABEL_WIDTH - 80
    bars = [
        {
            "y": i * (BAR_HEIGHT + BAR_GAP),
            "width": max(1.0, float(r[measure]) / top * span),
            "label": r["label"],
            "value": r[measure],
        }
        for i, r in enumerate(rows)
    ]
    height = max(BAR_HEIGHT, len(rows) * (BAR_HEIGHT + BAR_GAP))
    return {
        "bars": bars,
        "height": height,
        "width": CHART_WIDTH,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "measure": measure,
    }


async def reports_page(call: PageCall) -> Response:
    name, by = _chosen(call)
    result = await run_in_threadpool(_run, call, name, by)
    measure = "count" if name == "companies" else "amount"
    context = {
        "reports": REPORTS,
        "name": name,
        "by": by,
        "result": result,
        "chart": bar_chart(result["rows"], measure),
    }
    return render.page(call.request, "reports.html", context, session=call.session)


async def report_csv(call: PageCall) -> Response:
    name, by = _chosen(call)
    result = await run_in_threadpool(_run, call, name, by)
    columns = [k for k in result["rows"][0] if k != "key"] if result["rows"] else ["label"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([by, *columns[1:]])
    for row in result["rows"]:
        writer.writerow([row[c] for c in columns])
    headers = {"Content-Disposition": f'attachment; filename="{name}-by-{by}.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def routes() -> list[BaseRoute]:
    def every(handler: Any) -> Any:
        return page(handler, need="read", every_entity=True)

    return [
        Route("/data-quality", every(data_quality), methods=["GET"]),
        Route("/reports", every(reports_page), methods=["GET"]),
        Route("/reports.csv", every(report_csv), methods=["GET"]),
    ]
