"""``mspcrm profiles add|list|remove``: saved targets (a local database or a remote server)."""

from __future__ import annotations

import click

from mspcrm.cli.common import console, print_table
from mspcrm.profiles import Profile, load_profiles, remove_profile, save_profile


@click.group()
def profiles() -> None:
    """Saved connections; use one with --profile NAME (or MSPCRM_PROFILE)."""


@profiles.command("add")
@click.argument("name")
@click.option("--url", help="A remote Autotask-compatible server or zone.")
@click.option("--username")
@click.option("--secret")
@click.option("--integration-code")
@click.option("--database", help="A local database instead.")
def add(
    name: str,
    url: str | None,
    username: str | None,
    secret: str | None,
    integration_code: str | None,
    database: str | None,
) -> None:
    """Save a profile (the file is readable by you only)."""
    path = save_profile(
        Profile(
            name,
            url=url,
            username=username,
            secret=secret,
            integration_code=integration_code,
            database=database,
        )
    )
    console.print(f"Saved profile {name!r} in {path}", highlight=False)


@profiles.command("list")
def list_profiles() -> None:
    """The saved profiles (secrets not shown)."""
    rows = [
        {"name": p.name, "target": p.url or p.database, "username": p.username or ""}
        for p in load_profiles().values()
    ]
    print_table(rows, ["name", "target", "username"], title="Profiles")


@profiles.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Forget a profile."""
    remove_profile(name)
    console.print(f"Removed profile {name!r}", highlight=False)


def register(cli: click.Group) -> None:
    cli.add_command(profiles)
