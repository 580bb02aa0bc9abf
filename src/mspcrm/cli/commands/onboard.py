"""``mspcrm onboard client.yaml``: a client onboarded in one transaction (docs/workflows.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson

from mspcrm.cli.common import console, print_json, print_table, with_target
from mspcrm.domain.onboarding_template import TEMPLATE
from mspcrm.errors import ValidationError

if TYPE_CHECKING:
    from mspcrm.targets import Target


def read_onboarding_file(path: Path) -> dict[str, Any]:
    """A YAML or JSON onboarding file as a JSON-ready document (dates become ISO text)."""
    import yaml  # type: ignore[import-untyped]  # only when a file is read

    text = path.read_text(encoding="utf-8")
    try:
        loaded = orjson.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(f"step document: {path.name} cannot be read: {exc}") from None
    if not isinstance(loaded, dict):
        raise ValidationError(f"step document: {path.name} must hold a mapping of sections")
    document: dict[str, Any] = orjson.loads(orjson.dumps(loaded))
    return document


def print_plan(result: dict[str, Any]) -> None:
    rows = [
        {
            "step": s["step"],
            "key": s["key"],
            "action": s["action"],
            "id": s["id"],
            "changes": ", ".join(s["changes"]),
        }
        for s in result["steps"]
    ]
    title = "Onboarding plan (dry run)" if result["dryRun"] else "Onboarding"
    print_table(rows, ["step", "key", "action", "id", "changes"], title=title)
    console.print(result["message"], highlight=False)
    if result.get("companyID") is not None:
        console.print(f"Company: {result['companyID']}", highlight=False)
    console.print(f"Plan fingerprint: {result['fingerprint']}", highlight=False)


def _print_template(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(TEMPLATE, nl=False)
        ctx.exit()


@click.command("onboard")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False
)
@click.option(
    "--dry-run", is_flag=True, help="Show the plan (create/update/unchanged); write nothing."
)
@click.option(
    "--fingerprint", default=None, help="Apply only if the plan still has this fingerprint."
)
@click.option(
    "--template",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_print_template,
    help="Print a documented template file and exit.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_target
def onboard(
    file: Path | None,
    dry_run: bool,
    fingerprint: str | None,
    as_json: bool,
    target: Target,
) -> None:
    """Onboard a client from a YAML or JSON file, all or nothing.

    Company (a Customer, with account manager and billing), primary contact, sites (one
    primary), contract and notes, in one transaction. Running the same file again changes
    nothing; a file that grew adds only what is new. Stops on a likely existing client
    unless the file says which company to use (useExisting: ID).
    """
    if file is None:
        raise click.UsageError("Give an onboarding file (mspcrm onboard --template prints one)")
    document = read_onboarding_file(file)
    result = target.client.native.onboard(document, dry_run=dry_run, fingerprint=fingerprint)
    if as_json:
        print_json(result)
    else:
        print_plan(result)


def register(cli: click.Group) -> None:
    cli.add_command(onboard)
