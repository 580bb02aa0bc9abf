"""The ``mspcrm`` command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
import orjson
from rich.console import Console
from rich.table import Table

from mspcrm import __version__
from mspcrm.config import COMPAT_MODES, Settings, load_settings
from mspcrm.domain.udfs import UDF_TYPES, UdfDefinition
from mspcrm.errors import MspcrmError
from mspcrm.services.crm import Services, build_services

F = TypeVar("F", bound=Callable[..., Any])
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

EXIT_USAGE, EXIT_ERROR, EXIT_NOT_FOUND, EXIT_CONFLICT = 2, 1, 3, 4


def database_option(fn: F) -> F:
    return click.option(
        "--database",
        "database",
        envvar="MSPCRM_DATABASE_URL",
        default=None,
        help="SQLite file path or postgresql://... URL (env MSPCRM_DATABASE_URL). "
        "Default: mspcrm.db in the current folder.",
    )(fn)


def _settings(database: str | None, **overrides: Any) -> Settings:
    return load_settings(database_url=database, **overrides)


@contextmanager
def open_services(database: str | None) -> Iterator[Services]:
    services = build_services(_settings(database))
    try:
        yield services
    finally:
        services.close()


def _exit_code(exc: MspcrmError) -> int:
    from mspcrm import errors

    if isinstance(exc, errors.NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, errors.ConflictError):
        return EXIT_CONFLICT
    if isinstance(exc, errors.ValidationError):
        return EXIT_USAGE
    return EXIT_ERROR


class Cli(click.Group):
    """Turns mspcrm errors into one clear line and an exit code scripts can trust."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MspcrmError as exc:
            for message in exc.errors:
                err_console.print(f"[red]error:[/red] {message}", highlight=False)
            sys.exit(_exit_code(exc))


@click.group(cls=Cli)
@click.version_option(__version__, prog_name="mspcrm")
def cli() -> None:
    """mspcrm: a self-hosted CRM for MSPs that speaks the Autotask PSA REST API."""


@cli.command()
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
    from mspcrm.services.demo import load_demo

    settings = _settings(database, host=host, port=port, compat=compat)
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
        f'  try: curl -s \'{base}/Companies/query?search={{"filter":[{{"op":"exist",'
        f"\"field\":\"id\"}}]}}' -H 'UserName: {result.username}' -H 'Secret: {result.secret}' "
        f"-H 'ApiIntegrationCode: {result.integration_code}'"
    )


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@database_option
def db_upgrade(database: str | None) -> None:
    """Apply schema migrations and reference data (also done on every start)."""
    with open_services(database) as services:
        console.print(f"Database {services.db.url.split('@')[-1]} is up to date.")


@cli.group()
def resources() -> None:
    """Resources: the MSP's staff and API users."""


@resources.command("create")
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--email", required=True)
@click.option("--username", default=None, help="Default: the e-mail address.")
@click.option("--title", default=None)
@click.option("--api-user", is_flag=True, help="Also create API credentials for this resource.")
@click.option("--integration-code", default=None, help="Default: a new random code.")
@click.option("--secret", default=None, help="Default: a new random secret (printed once).")
@click.option("--security-level", type=click.Choice(["full", "read-only"]), default="full")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@database_option
def resources_create(
    first_name: str,
    last_name: str,
    email: str,
    username: str | None,
    title: str | None,
    api_user: bool,
    integration_code: str | None,
    secret: str | None,
    security_level: str,
    as_json: bool,
    database: str | None,
) -> None:
    """Create a resource, optionally with API credentials (non-interactive)."""
    if (integration_code or secret) and not api_user:
        raise click.UsageError("--integration-code and --secret need --api-user")
    with open_services(database) as services:
        resource_id, user = services.admin.create_resource(
            first_name,
            last_name,
            email,
            username=username,
            title=title,
            security_level=security_level,
            api_user=api_user,
            integration_code=integration_code,
            secret=secret,
        )
    result: dict[str, Any] = {"resourceID": resource_id}
    if user is not None:
        result |= {
            "userName": user.username,
            "secret": user.secret,
            "apiIntegrationCode": user.integration_code,
        }
    if as_json:
        click.echo(orjson.dumps(result).decode())
        return
    for key, value in result.items():
        console.print(f"{key}: {value}", highlight=False)


@cli.group()
def picklists() -> None:
    """Picklists (installation data): list and add values."""


@picklists.command("list")
@click.argument("picklist", required=False)
@click.option("--json", "as_json", is_flag=True)
@database_option
def picklists_list(picklist: str | None, as_json: bool, database: str | None) -> None:
    """List picklists, or the values of one (e.g. Company.companyType)."""
    with open_services(database) as services:
        found = services.admin.picklists(picklist)
    if as_json:
        click.echo(orjson.dumps({k: [v.to_wire() for v in vals] for k, vals in found.items()}))
        return
    table = Table("picklist", "value", "label", "default", "active", "system")
    for key, values in found.items():
        for v in values:
            table.add_row(
                key, str(v.value), v.label, _yes(v.is_default), _yes(v.is_active), _yes(v.is_system)
            )
    console.print(table)


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


@picklists.command("add")
@click.argument("picklist")
@click.argument("label")
@click.option("--value", type=int, default=None, help="Default: the next free number.")
@click.option("--default", "is_default", is_flag=True, help="Make it the default value.")
@database_option
def picklists_add(
    picklist: str, label: str, value: int | None, is_default: bool, database: str | None
) -> None:
    """Add a value to a picklist: mspcrm picklists add Opportunity.stage "Discovery"."""
    with open_services(database) as services:
        added = services.admin.add_picklist_value(
            picklist, label, value=value, is_default=is_default
        )
    console.print(f"Added {picklist} value {added.value}: {added.label}", highlight=False)


@cli.group()
def udfs() -> None:
    """User-defined fields: list and add definitions."""


@udfs.command("list")
@click.argument("entity", required=False)
@click.option("--json", "as_json", is_flag=True)
@database_option
def udfs_list(entity: str | None, as_json: bool, database: str | None) -> None:
    """List UDF definitions, for one entity or all."""
    with open_services(database) as services:
        target = services.registry.by_name(entity) if entity else None
        found = services.admin.udfs(target)
    if as_json:
        click.echo(
            orjson.dumps([d.__dict__ | {"picklist_values": list(d.picklist_values)} for d in found])
        )
        return
    table = Table("entity", "name", "type", "length", "required", "default", "values")
    for d in found:
        table.add_row(
            d.entity,
            d.name,
            d.type,
            str(d.length),
            _yes(d.is_required),
            d.default_value or "",
            ", ".join(d.picklist_values),
        )
    console.print(table)


@udfs.command("add")
@click.argument("entity")
@click.argument("name")
@click.option("--type", "udf_type", type=click.Choice(UDF_TYPES), default="string")
@click.option("--length", type=int, default=8000)
@click.option("--label", default="")
@click.option("--description", default="")
@click.option("--default", "default_value", default=None)
@click.option("--value", "values", multiple=True, help="A picklist value (repeat).")
@database_option
def udfs_add(
    entity: str,
    name: str,
    udf_type: str,
    length: int,
    label: str,
    description: str,
    default_value: str | None,
    values: tuple[str, ...],
    database: str | None,
) -> None:
    """Add a UDF: mspcrm udfs add Company "Number of Employees" --type number."""
    with open_services(database) as services:
        declared = services.registry.by_name(entity)
        definition = UdfDefinition(
            entity=declared.name,
            name=name.strip(),
            type=udf_type,
            length=length,
            label=label,
            description=description,
            default_value=default_value,
            picklist_values=values,
        )
        services.admin.add_udf(definition)
    console.print(f"Added UDF {name!r} to {declared.name}", highlight=False)


def main() -> None:
    cli()
