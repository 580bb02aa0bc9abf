"""Contact lifecycle and roles, account transfer and the company tree, through the SDK:

mspcrm contacts deactivate ID [--successor ID] [--force]
mspcrm contacts move ID --to-company ID
mspcrm contacts roles ID [--add ROLE]... [--remove ROLE]... [--title TEXT]
mspcrm companies contacts ID
mspcrm companies transfer --from RESOURCE --to RESOURCE [--filter JSON] [--dry-run]
mspcrm companies tree ID [--contacts]
mspcrm companies rollup ID
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
import orjson

from mspcrm.cli.common import (
    console,
    emit,
    entity_group,
    output_options,
    print_json,
    print_table,
    with_target,
)
from mspcrm.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from mspcrm.targets import Target

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")


# ---- contacts -----------------------------------------------------------------------------
@click.command("deactivate")
@click.argument("contact_id", type=int)
@click.option("--successor", type=int, default=None, help="Who takes over primary and the roles.")
@click.option("--force", is_flag=True, help="Deactivate a primary contact without a successor.")
@json_option
@with_target
def deactivate(
    contact_id: int, successor: int | None, force: bool, as_json: bool, target: Target
) -> None:
    """Mark a contact inactive and clear primary; a successor takes over primary and roles."""
    result = target.client.native.contact_deactivate(
        contact_id, successor_id=successor, force=force
    )
    if as_json:
        print_json(result)
        return
    console.print(f"Deactivated contact {contact_id}", highlight=False)
    if result["primaryHandedOver"]:
        console.print(f"Primary contact is now {result['successorID']}", highlight=False)
    if result["rolesHandedOver"]:
        console.print(f"Roles handed over: {result['rolesHandedOver']}", highlight=False)
    if not result["companyHasPrimary"]:
        console.print("[yellow]The company has no primary contact now[/yellow]")


@click.command("move")
@click.argument("contact_id", type=int)
@click.option("--to-company", "company_id", type=int, required=True)
@json_option
@with_target
def move(contact_id: int, company_id: int, as_json: bool, target: Target) -> None:
    """Move a person to another company (location and primary cleared, roles follow)."""
    result = target.client.native.contact_move(contact_id, company_id)
    if as_json:
        print_json(result)
        return
    console.print(
        f"Moved contact {contact_id} from company {result['fromCompanyID']} to {company_id}",
        highlight=False,
    )


@click.command("roles")
@click.argument("contact_id", type=int)
@click.option("--add", multiple=True, help="A role to add (label or value); repeatable.")
@click.option("--remove", multiple=True, help="A role to remove; repeatable.")
@click.option("--title", default=None, help="Set the contact's title too.")
@json_option
@with_target
def roles(
    contact_id: int,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    title: str | None,
    as_json: bool,
    target: Target,
) -> None:
    """Show, add or remove a contact's roles (authorizes work, billing contact, ...)."""
    result = target.client.native.contact_roles(
        contact_id, add=list(add), remove=list(remove), title=title
    )
    if as_json:
        print_json(result)
        return
    rows = result["roles"]
    print_table(rows, ["role", "label"], title=f"Roles of contact {contact_id}")


# ---- companies ----------------------------------------------------------------------------
@click.command("contacts")
@click.argument("company_id", type=int)
@click.option("--active", "active_only", is_flag=True, help="Active contacts only.")
@output_options
@with_target
def company_contacts(
    company_id: int, active_only: bool, as_json: bool, as_csv: bool, target: Target
) -> None:
    """A company's contacts with their roles."""
    items = target.client.native.company_contacts(company_id, active_only=active_only)["items"]
    rows = [{**p, "roles": ", ".join(p["roles"])} for p in items]
    columns = ["id", "firstName", "lastName", "emailAddress", "title", "primaryContact"]
    emit(rows, [*columns, "isActive", "roles"], as_json=as_json, as_csv=as_csv)


def resource_id(target: Target, given: str) -> int:
    """A resource by id, e-mail or user name."""
    text = given.strip()
    if text.isdigit():
        return int(text)
    resources = target.client.entity("Resources")
    for field in ("email", "userName"):
        found = list(resources.query([{"op": "eq", "field": field, "value": text}], max_records=2))
        if len(found) == 1:
            return int(found[0]["id"])
    raise NotFoundError(f"Resource not found: no resource with id, e-mail or user name {text!r}")


@click.command("transfer")
@click.option("--from", "source", required=True, help="The current account manager (id/e-mail).")
@click.option("--to", "destination", required=True, help="The new account manager (id/e-mail).")
@click.option("--filter", "filter_json", default=None, help='Only these, e.g. \'[{"op":"eq",'
              '"field":"companyType","value":1}]\'')  # fmt: skip
@click.option("--opportunities", is_flag=True, help="Move their open opportunities' owner too.")
@click.option("--dry-run", is_flag=True, help="List what would move; change nothing.")
@json_option
@with_target
def transfer(
    source: str,
    destination: str,
    filter_json: str | None,
    opportunities: bool,
    dry_run: bool,
    as_json: bool,
    target: Target,
) -> None:
    """Move account ownership in bulk, one history entry per company."""
    try:
        conditions = orjson.loads(filter_json) if filter_json else []
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"--filter is not valid JSON: {exc}") from None
    if isinstance(conditions, dict):
        conditions = conditions.get("filter", [conditions])
    result = target.client.native.transfer(
        resource_id(target, source),
        resource_id(target, destination),
        filter=conditions,
        opportunities=opportunities,
        dry_run=dry_run,
    )
    if as_json:
        print_json(result)
        return
    verb = "Would move" if dry_run else "Moved"
    print_table(result["companies"], ["id", "companyName"], title=f"{verb}: companies")
    if opportunities:
        print_table(result["opportunities"], ["id", "title", "companyID"], title="Opportunities")
    counts = result["counts"]
    console.print(
        f"{verb} {counts['companies']} companies and {counts['opportunities']} opportunities "
        f"from resource {result['fromResourceID']} to {result['toResourceID']}",
        highlight=False,
    )


def _type_labels(target: Target) -> Any:
    return target.client.describe("Companies").picklist("companyType")


def tree_lines(target: Target, tree: dict[str, Any], with_contacts: bool) -> list[str]:
    """The tree as indented lines: ancestors (root first), the company (marked), descendants."""
    types = _type_labels(target)
    lines: list[str] = []
    above = list(reversed(tree["ancestors"]))
    for depth, node in enumerate(above):
        lines.append("  " * depth + _label(node, types))
    base = len(above)
    for node in [tree["company"], *tree["descendants"]]:
        marker = "> " if node is tree["company"] else ""
        indent = "  " * (base + node["depth"])
        lines.append(indent + marker + _label(node, types))
        if with_contacts:
            people = target.client.native.company_contacts(node["id"], active_only=True)["items"]
            for person in people:
                lines.append(indent + "    - " + _person(person))
    return lines


def _label(node: dict[str, Any], types: Any) -> str:
    kind = types.label(node["companyType"]) if node.get("companyType") is not None else None
    inactive = "" if node["isActive"] else ", inactive"
    return f"{node['companyName']} ({node['id']}{', ' + kind if kind else ''}{inactive})"


def _person(person: dict[str, Any]) -> str:
    name = f"{person['firstName']} {person['lastName']}"
    primary = " [primary]" if person["primaryContact"] else ""
    roles = f" - {', '.join(person['roles'])}" if person["roles"] else ""
    return f"{name} <{person['emailAddress'] or ''}>{primary}{roles}"


@click.command("tree")
@click.argument("company_id", type=int)
@click.option("--contacts", "with_contacts", is_flag=True, help="List contacts and their roles.")
@click.option("--max-depth", type=int, default=None, help="Levels below the company to show.")
@json_option
@with_target
def tree(
    company_id: int, with_contacts: bool, max_depth: int | None, as_json: bool, target: Target
) -> None:
    """A company's ancestors and descendants, indented."""
    found = target.client.native.company_tree(company_id, max_depth=max_depth)
    if as_json:
        print_json(found)
        return
    for line in tree_lines(target, found, with_contacts):
        click.echo(line)


@click.command("rollup")
@click.argument("company_id", type=int)
@output_options
@with_target
def rollup(company_id: int, as_json: bool, as_csv: bool, target: Target) -> None:
    """Contacts, sites, open opportunities and contracts over a company and its subtree."""
    result = target.client.native.company_rollup(company_id)
    if as_json:
        print_json(result)
        return
    columns = ["id", "companyName", "depth", "contacts", "sites", "openOpportunities"]
    columns += ["openAmount", "weightedAmount", "contracts", "contractRevenue"]
    total = {"companyName": f"Total ({result['companies']} companies)", **result["totals"]}
    rows = [*result["byCompany"], total]
    emit(rows, columns, as_json=False, as_csv=as_csv, title=f"Roll-up of company {company_id}")


def register(cli: click.Group) -> None:
    contacts = entity_group(cli, "contacts", "Contacts: search, get, create, update, lifecycle.")
    for command in (deactivate, move, roles):
        contacts.add_command(command)
    companies = entity_group(cli, "companies", "Companies: search, get, create, update, tree.")
    for command in (company_contacts, transfer, tree, rollup):
        companies.add_command(command)
