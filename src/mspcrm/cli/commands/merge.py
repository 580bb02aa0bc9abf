"""``mspcrm merge companies|contacts KEEP OTHER``, ``merge undo|show ID``, ``mspcrm history``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from mspcrm.cli.common import EXIT_CONFLICT, console, print_json, print_table, with_target
from mspcrm.domain.entities import build_registry

if TYPE_CHECKING:
    from mspcrm.targets import Target

KINDS = {"companies": "Company", "contacts": "Contact"}


def print_plan(plan: dict[str, Any]) -> None:
    console.print(
        f"Merge {plan['entity']} {plan['otherID']} into {plan['keepID']} "
        f"(plan {plan['fingerprint']})",
        highlight=False,
    )
    for part, title in (
        ("fills", "Fields filled in on KEEP"),
        ("moves", "Records moved"),
        ("retire", "OTHER retired"),
    ):
        rows = [{**c, "before": _text(c["before"]), "after": _text(c["after"])} for c in plan[part]]
        if rows:
            print_table(rows, ["entity", "id", "field", "before", "after"], title=title)
    for warning in plan["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@click.group(invoke_without_command=False)
def merge() -> None:
    """Merge two companies or two contacts (planned, logged, reversible)."""


def _merge_command(kind: str) -> click.Command:
    entity_name = KINDS[kind]

    @click.command(kind)
    @click.argument("keep", type=int)
    @click.argument("other", type=int)
    @click.option("--dry-run", is_flag=True, help="Show the plan only.")
    @click.option("--yes", is_flag=True, help="Do it without asking (for scripts).")
    @click.option("--json", "as_json", is_flag=True)
    @with_target
    def command(
        keep: int, other: int, dry_run: bool, yes: bool, as_json: bool, target: Target
    ) -> None:
        plan = target.client.native.merge_plan(entity_name, keep, other)
        if as_json and dry_run:
            print_json(plan)
            return
        if not as_json:
            print_plan(plan)
        if dry_run:
            return
        if not yes and not click.confirm("Carry out this merge?", default=False):
            raise SystemExit(EXIT_CONFLICT)
        done = target.client.native.merge(entity_name, keep, other, fingerprint=plan["fingerprint"])
        if as_json:
            print_json(done)
        else:
            console.print(
                f"Merged: merge {done['mergeID']} (undo with `mspcrm merge undo "
                f"{done['mergeID']}`)",
                highlight=False,
            )

    command.help = (
        f"Merge {KINDS[kind].lower()} OTHER into KEEP: KEEP's blank fields fill in from "
        "OTHER, records pointing at OTHER move to KEEP, OTHER is made inactive. "
        "Planned first; undoable."
    )
    return command


@merge.command("undo")
@click.argument("merge_id", type=int)
@with_target
def undo(merge_id: int, target: Target) -> None:
    """Put back everything a merge changed (refused if those records changed since)."""
    result = target.client.native.merge_undo(merge_id)
    console.print(f"Undid merge {merge_id}: {result['restored']} values restored", highlight=False)


@merge.command("show")
@click.argument("merge_id", type=int)
@with_target
def show(merge_id: int, target: Target) -> None:
    """A merge log entry with every change it made."""
    print_json(target.client.native.merge_get(merge_id))


@click.command("history")
@click.argument("entity")
@click.argument("record_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@with_target
def history(entity: str, record_id: int, as_json: bool, target: Target) -> None:
    """Every change to one record: when, who, through what, old and new values."""
    path = build_registry().by_name(entity).path
    result = target.client.native.history(path, record_id)
    if as_json:
        print_json(result)
        return
    rows = [
        {
            "at": h["at"],
            "op": h["op"],
            "by": h["resourceID"] or "",
            "via": h["channel"],
            "context": h["context"] or "",
            "changes": "; ".join(
                f"{k}: {_text(v[0])} -> {_text(v[1])}" for k, v in h["changes"].items()
            ),
        }
        for h in result["history"]
    ]
    print_table(rows, ["at", "op", "by", "via", "context", "changes"], title=f"{path} {record_id}")


def register(cli: click.Group) -> None:
    for kind in KINDS:
        merge.add_command(_merge_command(kind))
    cli.add_command(merge)
    cli.add_command(history)
