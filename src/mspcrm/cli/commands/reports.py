"""``mspcrm audit`` (data-quality findings) and ``mspcrm report companies|pipeline``.

``mspcrm audit --fail-on warning`` exits with 5 when a finding at or above that
severity exists, so scripts and CI can gate on data quality.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from mspcrm.cli.common import console, emit, output_options, with_target

if TYPE_CHECKING:
    from mspcrm.targets import Target

EXIT_FINDINGS = 5
SEVERITIES = ("info", "warning", "error")
FINDING_COLUMNS = ["severity", "rule", "entity", "id", "name", "message", "fix"]


@click.command("audit")
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default=None,
    help=f"Exit {EXIT_FINDINGS} when a finding at or above this severity exists.",
)
@click.option("--rule", "rules", multiple=True, help="Only this rule (repeatable).")
@click.option("--no-duplicates", is_flag=True, help="Skip the near-duplicate scan (faster).")
@output_options
@with_target
def audit(
    fail_on: str | None,
    rules: tuple[str, ...],
    no_duplicates: bool,
    as_json: bool,
    as_csv: bool,
    target: Target,
) -> None:
    """Data-quality audit: each finding names the record and the fix."""
    result = target.client.native.audit(rules=list(rules), duplicates=not no_duplicates)
    findings = result["findings"]
    emit(findings, FINDING_COLUMNS, as_json=as_json, as_csv=as_csv, title="Audit findings")
    if not (as_json or as_csv):
        counts = result["counts"]
        console.print(
            f"{result['total']} findings: {counts['error']} errors, {counts['warning']} "
            f"warnings, {counts['info']} info",
            highlight=False,
        )
    if fail_on is not None:
        floor = SEVERITIES.index(fail_on)
        if any(SEVERITIES.index(f["severity"]) >= floor for f in findings):
            sys.exit(EXIT_FINDINGS)


@click.group("report")
def report() -> None:
    """Reports: companies by type/classification/territory/segment/owner; the pipeline."""


@report.command("companies")
@click.option(
    "--by",
    type=click.Choice(["type", "classification", "territory", "segment", "owner"]),
    default="type",
    show_default=True,
)
@click.option("--rollup", type=int, default=None, help="Only this company and its subtree.")
@output_options
@with_target
def companies(by: str, rollup: int | None, as_json: bool, as_csv: bool, target: Target) -> None:
    """Companies counted by a field, labels from the picklists."""
    result = target.client.native.report("companies", by, rollup=rollup)
    rows = [*result["rows"], {"label": "Total", **result["total"]}]
    emit(
        result["rows"] if (as_json or as_csv) else rows,
        ["label", "count"],
        as_json=as_json,
        as_csv=as_csv,
        title=f"Companies by {by}",
    )


@report.command("pipeline")
@click.option(
    "--by", type=click.Choice(["stage", "status", "owner"]), default="stage", show_default=True
)
@click.option("--rollup", type=int, default=None, help="Only this company and its subtree.")
@output_options
@with_target
def pipeline(by: str, rollup: int | None, as_json: bool, as_csv: bool, target: Target) -> None:
    """Opportunities: count, amount and weighted amount (amount x probability)."""
    result = target.client.native.report("pipeline", by, rollup=rollup)
    rows = [*result["rows"], {"label": "Total", **result["total"]}]
    emit(
        result["rows"] if (as_json or as_csv) else rows,
        ["label", "count", "amount", "weightedAmount"],
        as_json=as_json,
        as_csv=as_csv,
        title=f"Pipeline by {by}",
    )


def register(cli: click.Group) -> None:
    cli.add_command(audit)
    cli.add_command(report)
