"""Installation settings: ``mspcrm settings show``, ``mspcrm settings set NAME VALUE``."""

from __future__ import annotations

import click
import orjson

from mspcrm.cli.common import console, database_option, open_services


@click.group("settings")
def settings_group() -> None:
    """Installation settings shared by every server of one database (default-region)."""


@settings_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@database_option
def settings_show(as_json: bool, database: str | None) -> None:
    """Every setting, its value and what it means."""
    from mspcrm.services.settings import SettingsService

    with open_services(database) as services:
        rows = SettingsService(services.db, services.duplicates).show()
    if as_json:
        click.echo(orjson.dumps(rows).decode())
        return
    for row in rows:
        note = " (default)" if row["isDefault"] else ""
        console.print(f"{row['name']}: {row['value']}{note}  {row['description']}", highlight=False)


@settings_group.command("set")
@click.argument("name")
@click.argument("value")
@database_option
def settings_set(name: str, value: str, database: str | None) -> None:
    """Set NAME to VALUE, e.g. ``mspcrm settings set default-region GB``."""
    from mspcrm.services.settings import SettingsService

    with open_services(database) as services:
        done = SettingsService(services.db, services.duplicates).set(name, value)
    console.print(f"{done['name']}: {done['value']}", highlight=False)
    for entity, count in done["reindexed"].items():
        console.print(f"duplicate-check keys of {count} {entity} records re-computed")


def register(cli: click.Group) -> None:
    cli.add_command(settings_group)
