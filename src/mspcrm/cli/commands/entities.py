"""``mspcrm companies|contacts|locations|... get|search|create|update|describe``.

Generated for every declared entity; all of it goes through the SDK, so the same
commands work on the local database and against any Autotask-compatible server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from mspcrm.cli.common import (
    EXIT_CONFLICT,
    console,
    emit,
    entity_group,
    output_options,
    print_json,
    print_table,
    with_target,
)
from mspcrm.domain.entities import build_registry
from mspcrm.domain.entity import Entity
from mspcrm.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from mspcrm.sdk.metadata import EntityDescription, FieldInfo
    from mspcrm.targets import Target


def parse_assignments(description: EntityDescription, pairs: tuple[str, ...]) -> dict[str, Any]:
    """``companyName="Acme" companyType=Customer udf:"NAV ID"=7`` -> a wire body."""
    body: dict[str, Any] = {}
    udfs: list[dict[str, Any]] = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValidationError(f"Expected FIELD=VALUE, got {pair!r}")
        name = name.strip()
        if name.lower().startswith("udf:"):
            udfs.append({"name": name[4:], "value": value})
            continue
        body[name] = _picklist_value(description, name, value)
    if udfs:
        body["userDefinedFields"] = udfs
    return body


def _field(description: EntityDescription, name: str) -> FieldInfo | None:
    lowered = name.lower()
    return next((f for key, f in description.fields.items() if key.lower() == lowered), None)


def _picklist_value(description: EntityDescription, name: str, value: str) -> Any:
    field = _field(description, name)
    if field is None or field.picklist is None or value.strip().lstrip("-").isdigit():
        return value
    return field.picklist.value(value)


def display_rows(
    description: EntityDescription, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Picklist values shown as their labels, for people."""
    out = []
    for item in items:
        row = dict(item)
        for name, value in item.items():
            field = description.fields.get(name)
            if field is not None and field.picklist is not None and value is not None:
                label = field.picklist.label(value)
                row[name] = label if label is not None else value
        out.append(row)
    return out


def _emit_records(
    target: Target, entity: Entity, items: list[dict[str, Any]], as_json: bool, as_csv: bool
) -> None:
    if as_json or as_csv:
        emit(items, [], as_json=as_json, as_csv=as_csv)
        return
    rows = display_rows(target.client.describe(entity.path), items)
    print_table(rows, ["id", *entity.list_fields], title=f"{entity.path} ({len(rows)})")


def search_filter(entity: Entity, text: str) -> list[dict[str, Any]]:
    """An id, an e-mail, "First Last", or text any search field contains."""
    words = text.split()
    ors: list[dict[str, Any]] = [
        {"op": "contains", "field": name, "value": text} for name in entity.search_fields
    ]
    names = entity.field("firstName") is not None and entity.field("lastName") is not None
    if names and len(words) >= 2:
        ors.append(
            {
                "op": "and",
                "items": [
                    {"op": "beginsWith", "field": "firstName", "value": words[0]},
                    {"op": "beginsWith", "field": "lastName", "value": " ".join(words[1:])},
                ],
            }
        )
    return [{"op": "or", "items": ors}]


def _a(noun: str) -> str:
    """The noun with its indefinite article: "a Company", "an Opportunity"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _get(entity: Entity) -> click.Command:
    @click.command("get")
    @click.argument("record_id", type=int)
    @output_options
    @with_target
    def get(record_id: int, as_json: bool, as_csv: bool, target: Target) -> None:
        """Show one record by id."""
        item = target.client.entity(entity.path).get(record_id)
        if item is None:
            raise NotFoundError(f"{entity.name} {record_id} not found")
        if as_json:
            print_json(item)  # one object, as the API's "item"
            return
        if as_csv:
            emit([item], [], as_json=False, as_csv=True)
            return
        row = display_rows(target.client.describe(entity.path), [item])[0]
        shown = [{"field": k, "value": v} for k, v in row.items() if v not in (None, "", [])]
        print_table(shown, ["field", "value"], title=f"{entity.name} {record_id}")

    get.help = f"Show one {entity.name} by id."
    return get


def _search(entity: Entity) -> click.Command:
    @click.command("search")
    @click.argument("text")
    @click.option("--limit", type=int, default=50, show_default=True)
    @output_options
    @with_target
    def search(text: str, limit: int, as_json: bool, as_csv: bool, target: Target) -> None:
        """Find records by id, name, e-mail, phone, web domain or city."""
        client = target.client.entity(entity.path)
        if text.strip().isdigit():
            found = client.get(int(text))
            items = [found] if found else []
        else:
            items = list(client.query(search_filter(entity, text.strip()), max_records=limit))
        _emit_records(target, entity, items, as_json, as_csv)
        if not items:
            raise NotFoundError(f"No {entity.path} match {text!r}")

    search.help = f"Find {entity.path} by id or text ({', '.join(entity.search_fields)})."
    return search


def _describe(entity: Entity) -> click.Command:
    @click.command("describe")
    @click.option("--json", "as_json", is_flag=True)
    @with_target
    def describe(as_json: bool, target: Target) -> None:
        """Fields and picklists."""
        if as_json:
            print_json(target.client.entity(entity.path).fields())
            return
        description = target.client.describe(entity.path)
        rows = [
            {
                "field": f.name,
                "type": f.data_type,
                "length": f.length or "",
                "required": "yes" if f.is_required else "",
                "read-only": "yes" if f.is_read_only else "",
                "values": _values_text(f),
            }
            for f in description.fields.values()
        ]
        print_table(
            rows, ["field", "type", "length", "required", "read-only", "values"], title=entity.name
        )

    describe.help = f"The fields and picklists of {entity.path}."
    return describe


def _values_text(field: FieldInfo) -> str:
    if field.picklist is None:
        return ""
    return ", ".join(f"{value}={label}" for label, value in field.picklist.by_label.items())


def _create(entity: Entity) -> click.Command:
    @click.command("create")
    @click.argument("assignments", nargs=-1)
    @click.option("--force", is_flag=True, help="Create even if a likely duplicate exists.")
    @click.option("--json", "as_json", is_flag=True)
    @with_target
    def create(assignments: tuple[str, ...], force: bool, as_json: bool, target: Target) -> None:
        """Create a record from FIELD=VALUE pairs (picklists by label or value)."""
        body = parse_assignments(target.client.describe(entity.path), assignments)
        from mspcrm.cli.duplicate_checks import check_before_create, print_check
        from mspcrm.domain.duplicates import PROFILES

        if entity.name in PROFILES and not force:
            check = check_before_create(target, entity, body)
            if check["verdict"] != "unmatched":
                print_check(check)
                console.print("Refused: a likely duplicate exists. Use it, or pass --force.")
                raise SystemExit(EXIT_CONFLICT)
        new_id = target.client.entity(entity.path).create(body)
        if as_json:
            print_json({"itemId": new_id})
        else:
            console.print(f"Created {entity.name} {new_id}", highlight=False)

    create.help = f"Create {_a(entity.singular)}: mspcrm {entity.command} create FIELD=VALUE ..."
    return create


def _update(entity: Entity) -> click.Command:
    @click.command("update")
    @click.argument("record_id", type=int)
    @click.argument("assignments", nargs=-1, required=True)
    @click.option("--json", "as_json", is_flag=True, help="Print the updated record as JSON.")
    @with_target
    def update(record_id: int, assignments: tuple[str, ...], as_json: bool, target: Target) -> None:
        """Change the given fields of one record (PATCH)."""
        body = parse_assignments(target.client.describe(entity.path), assignments)
        body["id"] = record_id
        records = target.client.entity(entity.path)
        records.update(body)
        if as_json:
            print_json(records.get(record_id))  # what it is now, as `get --json` prints it
            return
        console.print(f"Updated {entity.name} {record_id}", highlight=False)

    update.help = f"Change fields of {_a(entity.singular)}: ... update ID FIELD=VALUE ..."
    return update


def register(cli: click.Group) -> None:
    registry = build_registry()
    for entity in registry:
        commands = [_search(entity), _get(entity), _describe(entity)]
        if entity.api_writable and entity.can_create:
            commands.append(_create(entity))
        if entity.api_writable and entity.can_update:
            commands.append(_update(entity))
        verbs = ", ".join(c.name or "" for c in commands)
        title = entity.plural_noun.capitalize()
        if entity.command.replace("-", "") != entity.path.lower():
            title += f" ({entity.path})"
        group = entity_group(cli, entity.command, f"{title}: {verbs}.")
        group.hidden = registry.is_configuration(entity)  # usable, not listed
        for command in commands:
            group.add_command(command)
        for former in entity.former_names:  # older spellings keep working, unlisted
            alias = click.Group(name=former, commands=group.commands, hidden=True)
            alias.help = f"Same as `mspcrm {entity.command}` (the older name)."
            cli.add_command(alias)
