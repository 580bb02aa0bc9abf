"""``mspcrm backup FILE`` and ``mspcrm restore FILE`` (SQLite; PostgreSQL: pg_dump guidance)."""

from __future__ import annotations

from pathlib import Path

import click

from mspcrm.cli.common import console, database_option, err_console, settings_for


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@database_option
def backup(file: Path, force: bool, database: str | None) -> None:
    """Copy the database to FILE while the server keeps running (SQLite online backup)."""
    url = settings_for(database).database_url
    from mspcrm.services import backups

    if backups.sqlite_path(url) is None:
        err_console.print(backups.guidance(url, str(file)), highlight=False)
        raise SystemExit(1)
    result = backups.backup(url, file, force=force)
    console.print(
        f"Backed up to {result.path} ({result.pages} pages, integrity {result.integrity}).",
        highlight=False,
    )


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@database_option
def restore(file: Path, force: bool, database: str | None) -> None:
    """Check the backup FILE and copy it over the database (stop the server first)."""
    url = settings_for(database).database_url
    from mspcrm.services import backups

    if backups.sqlite_path(url) is None:
        err_console.print(backups.guidance(url, str(file)), highlight=False)
        raise SystemExit(1)
    result = backups.restore(url, file, force=force)
    console.print(
        f"Restored {file} into {result.path} ({result.pages} pages, integrity {result.integrity}).",
        highlight=False,
    )


def register(cli: click.Group) -> None:
    cli.add_command(backup)
    cli.add_command(restore)
