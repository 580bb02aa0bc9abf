"""``mspcrm serve`` and ``mspcrm db``."""

from __future__ import annotations

from typing import Any

import click

from mspcrm import __version__
from mspcrm.cli.common import console, database_option, open_services, settings_for
from mspcrm.config import COMPAT_MODES, Settings


@click.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to listen on (default 8080).")
@database_option
@click.option(
    "--compat",
    type=click.Choice(COMPAT_MODES),
    default=None,
    help="default: honest errors and duplicate checks; autotask: Autotask's own quirks.",
)
@click.option("--demo", is_flag=True, help="Fill an empty database with demo data and an API user.")
def serve(
    host: str | None, port: int | None, database: str | None, compat: str | None, demo: bool
) -> None:
    """Run the server (Autotask REST API at /ATServicesRest/V1.0/)."""
    import uvicorn

    from mspcrm.api.app import create_app
    from mspcrm.services.crm import build_services
    from mspcrm.services.demo import load_demo

    settings = settings_for(database, host=host, port=port, compat=compat)
    services = build_services(settings)
    if demo:
        _print_demo(load_demo(services), settings)
    app = create_app(settings, services=services)
    console.print(
        f"mspcrm {__version__} on http://{settings.host}:{settings.port}/ATServicesRest/V1.0/ "
        f"(database {services.db.url.split('@')[-1]}, mode {settings.compat})"
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def _print_demo(result: Any, settings: Settings) -> None:
    if result is None:
        console.print("Demo data already present; credentials were printed when it was created.")
        return
    base = f"http://{settings.host}:{settings.port}/ATServicesRest/V1.0"
    console.print("[bold]Demo API user[/bold] (shown once):")
    console.print(f"  UserName:           {result.username}")
    console.print(f"  Secret:             {result.secret}")
    console.print(f"  ApiIntegrationCode: {result.integration_code}")
    console.print(
        f'  try: curl -sg \'{base}/Companies/query?search={{"filter":[{{"op":"exist",'
        f"\"field\":\"id\"}}]}}' -H 'UserName: {result.username}' -H 'Secret: {result.secret}' "
        f"-H 'ApiIntegrationCode: {result.integration_code}'"
    )


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@database_option
def db_upgrade(database: str | None) -> None:
    """Apply schema migrations and reference data (also done on every start)."""
    with open_services(database, create=True) as services:
        console.print(f"Database {services.db.url.split('@')[-1]} is up to date.")


def register(cli: click.Group) -> None:
    cli.add_command(serve)
    cli.add_command(db)
