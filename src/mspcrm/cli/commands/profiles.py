"""``mspcrm profiles add|list|remove``: saved targets (a local database or a remote server)."""

from __future__ import annotations

import click

from mspcrm.cli.common import console, print_json, print_table, prompt_secret
from mspcrm.profiles import Profile, load_profiles, remove_profile, save_profile, secret_storage


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
    """Save a profile (the file is readable by you only; the secret goes to the system
    keyring when there is one). Without --secret, a terminal asks for it."""
    if url and secret is None:
        secret = prompt_secret()
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
    where = " (secret in the system keyring)" if secret_storage(name) == "keyring" else ""
    console.print(f"Saved profile {name!r} in {path}{where}", highlight=False)


@profiles.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
def list_profiles(as_json: bool) -> None:
    """The saved profiles (secrets not shown; where each is kept)."""
    rows = [
        {
            "name": p.name,
            "target": p.url or p.database,
            "username": p.username or "",
            "secret": secret_storage(p.name) if p.url else "",
        }
        for p in load_profiles().values()
    ]
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["name", "target", "username", "secret"], title="Profiles")


@profiles.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Forget a profile."""
    remove_profile(name)
    console.print(f"Removed profile {name!r}", highlight=False)


def register(cli: click.Group) -> None:
    cli.add_command(profiles)
