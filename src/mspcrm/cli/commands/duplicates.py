"""``mspcrm duplicates check|scan``: verify before create, and find the duplicates already there."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.progress import Progress, SpinnerColumn, TextColumn

from mspcrm.cli.common import emit, err_console, output_options, print_json, with_target
from mspcrm.cli.duplicate_checks import check_before_create, print_check
from mspcrm.domain.entities import build_registry
from mspcrm.domain.entity import Entity

if TYPE_CHECKING:
    from mspcrm.targets import Target

KINDS = {"companies": "Company", "contacts": "Contact"}
CHECK_OPTIONS = {
    "name": "companyName",
    "web": "webAddress",
    "phone": "phone",
    "address": "address1",
    "city": "city",
    "postal_code": "postalCode",
    "first_name": "firstName",
    "last_name": "lastName",
    "email": "emailAddress",
    "mobile": "mobilePhone",
    "company_id": "companyID",
}


def _entity(kind: str) -> Entity:
    return build_registry().by_name(KINDS[kind])


@click.group()
def duplicates() -> None:
    """Duplicate checks: scored candidates with the evidence for each."""


@duplicates.command("check")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("--name", help="Company name.")
@click.option("--web", help="Web address or domain.")
@click.option("--phone")
@click.option("--address", help="Street address (address1).")
@click.option("--city")
@click.option("--postal-code")
@click.option("--first-name")
@click.option("--last-name")
@click.option("--email")
@click.option("--mobile")
@click.option("--company-id", type=int)
@click.option("--json", "as_json", is_flag=True)
@with_target
def check(kind: str, as_json: bool, target: Target, **given: object) -> None:
    """Score a would-be record against what exists: matched, ambiguous or unmatched.

    Exit code 0 when unmatched, 4 when a likely duplicate exists.
    """
    body = {CHECK_OPTIONS[k]: v for k, v in given.items() if v not in (None, "")}
    result = check_before_create(target, _entity(kind), body)
    if as_json:
        print_json(result)
    else:
        print_check(result)
    if result["verdict"] != "unmatched":
        raise SystemExit(4)


@duplicates.command("scan")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("--include-ambiguous", is_flag=True, help="Also join clusters by ambiguous pairs.")
@output_options
@with_target
def scan(kind: str, include_ambiguous: bool, as_json: bool, as_csv: bool, target: Target) -> None:
    """Cluster near-duplicates over the whole table (blocking + scoring, not all pairs)."""
    entity = _entity(kind)
    spinner = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=err_console, transient=True
    )
    with spinner as progress:
        progress.add_task(f"Scanning {entity.path} for near-duplicates", total=None)
        result = target.client.native.duplicates_scan(
            entity.path, include_ambiguous=include_ambiguous
        )
    if as_json:
        print_json(result)
        return
    rows = [
        {
            "cluster": n + 1,
            "ids": " ".join(str(i) for i in c["ids"]),
            "names": " | ".join(c["names"].values()),
            "verdict": c["verdict"],
            "best score": max((p["score"] for p in c["pairs"]), default=0),
        }
        for n, c in enumerate(result["clusters"])
    ]
    title = f"{len(rows)} clusters of near-duplicate {entity.path}"
    emit(
        rows,
        ["cluster", "ids", "names", "verdict", "best score"],
        as_json=False,
        as_csv=as_csv,
        title=title,
    )


def register(cli: click.Group) -> None:
    cli.add_command(duplicates)
