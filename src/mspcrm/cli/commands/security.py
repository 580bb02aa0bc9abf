"""``mspcrm security-levels``: named levels with per-entity create/read/update/delete rights
and operation rights (import, export)."""

from __future__ import annotations

from collections.abc import Iterable

import click
from rich.table import Table

from mspcrm.cli.common import console, database_option, open_services, print_json


@click.group("security-levels")
def security_levels() -> None:
    """Security levels: full, read-only, and named levels with per-entity rights."""


@security_levels.command("add")
@click.argument("name")
@click.option(
    "--entity",
    "entities",
    multiple=True,
    help="An entity (name or path, e.g. Companies); * for every entity not named.",
)
@click.option(
    "--rights",
    "rights",
    multiple=True,
    help="Letters of c, r, u, d for the --entity before it (- for none).",
)
@click.option(
    "--operations",
    "operations",
    multiple=True,
    help="Operation rights of the level: import, export (comma separated or repeated). "
    "An import also needs create and update on its entity; a dry run needs read.",
)
@click.option("--impersonate", is_flag=True, help="API users may send ImpersonationResourceId.")
@database_option
def add(
    name: str,
    entities: tuple[str, ...],
    rights: tuple[str, ...],
    operations: tuple[str, ...],
    impersonate: bool,
    database: str | None,
) -> None:
    """Create or replace level NAME: `--entity Companies --rights crud --entity * --rights r
    --operations import,export`."""
    if len(entities) != len(rights):
        raise click.UsageError("give one --rights after each --entity")
    with open_services(database) as services:
        level = services.permissions.define(
            name,
            dict(zip(entities, rights, strict=True)),
            can_impersonate=impersonate,
            operations=operations,
        )
    console.print(
        f"Security level {level.name}: {_describe(dict(level.rights))}; "
        f"operations: {_operations(level.operations)}",
        highlight=False,
    )


@security_levels.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@database_option
def list_levels(as_json: bool, database: str | None) -> None:
    """Every level and its rights."""
    with open_services(database) as services:
        levels = services.permissions.levels()
    if as_json:
        print_json(
            [
                {
                    "name": lv.name,
                    "rights": dict(lv.rights),
                    "operations": sorted(str(o) for o in lv.operations),
                    "canImpersonate": lv.can_impersonate,
                }
                for lv in levels
            ]
        )
        return
    table = Table("Level", "Rights", "Operations", "Impersonate")
    for lv in levels:
        table.add_row(
            lv.name,
            _describe(dict(lv.rights)),
            _operations(lv.operations),
            "yes" if lv.can_impersonate else "no",
        )
    console.print(table)


@security_levels.command("remove")
@click.argument("name")
@database_option
def remove(name: str, database: str | None) -> None:
    """Delete level NAME (its resources then have no rights until given another level)."""
    with open_services(database) as services:
        services.permissions.remove(name)
    console.print(f"Removed security level {name}.", highlight=False)


def _describe(rights: dict[str, str]) -> str:
    return ", ".join(f"{entity}={letters or '-'}" for entity, letters in sorted(rights.items()))


def _operations(operations: Iterable[str]) -> str:
    return ", ".join(sorted(str(o) for o in operations)) or "-"


def register(cli: click.Group) -> None:
    cli.add_command(security_levels)
