"""Installation management: ``mspcrm resources``, ``picklists``, ``udfs``."""

from __future__ import annotations

from typing import Any

import click
import orjson
from rich.table import Table

from mspcrm.cli.common import console, database_option, open_services
from mspcrm.domain.udfs import UDF_TYPES, UdfDefinition


@click.group()
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
@click.option(
    "--security-level",
    default="full",
    help="full, read-only, or a level from `mspcrm security-levels add`.",
)
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


@resources.command("deactivate")
@click.argument("username")
@database_option
def resources_deactivate(username: str, database: str | None) -> None:
    """Deactivate API user USERNAME: refused on its next request, by every server."""
    with open_services(database) as services:
        resource_id = services.admin.set_active(username, False)
    console.print(f"Resource {resource_id} ({username}) is inactive.", highlight=False)


@resources.command("activate")
@click.argument("username")
@database_option
def resources_activate(username: str, database: str | None) -> None:
    """Activate API user USERNAME again."""
    with open_services(database) as services:
        resource_id = services.admin.set_active(username, True)
    console.print(f"Resource {resource_id} ({username}) is active.", highlight=False)


@resources.command("set-security-level")
@click.argument("username")
@click.argument("level")
@database_option
def resources_set_level(username: str, level: str, database: str | None) -> None:
    """Give API user USERNAME security level LEVEL (effective on its next request)."""
    with open_services(database) as services:
        resource_id = services.admin.set_security_level(username, level)
    console.print(f"Resource {resource_id} ({username}) now has level {level}.", highlight=False)


@resources.command("new-secret")
@click.argument("username")
@click.option("--secret", default=None, help="Default: a new random secret (printed once).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@database_option
def resources_new_secret(
    username: str, secret: str | None, as_json: bool, database: str | None
) -> None:
    """A new secret for API user USERNAME; the old one stops working at once."""
    with open_services(database) as services:
        user = services.admin.new_secret(username, secret)
    _print_user({"userName": user.username, "secret": user.secret}, as_json)


@resources.command("new-integration-code")
@click.argument("username")
@click.option("--integration-code", default=None, help="Default: a new random code.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@database_option
def resources_new_code(
    username: str, integration_code: str | None, as_json: bool, database: str | None
) -> None:
    """A new integration code for USERNAME (printed once: only its hash is stored)."""
    with open_services(database) as services:
        user = services.admin.new_integration_code(username, integration_code)
    _print_user({"userName": user.username, "apiIntegrationCode": user.integration_code}, as_json)


def _print_user(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(orjson.dumps(result).decode())
        return
    for key, value in result.items():
        console.print(f"{key}: {value}", highlight=False)


@click.group()
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


@click.group()
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


def register(cli: click.Group) -> None:
    cli.add_command(resources)
    cli.add_command(picklists)
    cli.add_command(udfs)
