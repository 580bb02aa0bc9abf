"""``mspcrm import`` and ``mspcrm export``: CSV in and out, one format (docs/import-export.md)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
import orjson

from mspcrm.cli.common import EXIT_USAGE, database_option, err_console, open_services
from mspcrm.domain.import_columns import EXPORT_FORMATS, IMPORT_BATCH, IMPORT_ENTITIES

if TYPE_CHECKING:
    from rich.progress import Progress

    from mspcrm.services.import_run import ImportResult, RowResult

ENTITY_CHOICE = click.Choice(list(IMPORT_ENTITIES), case_sensitive=False)


@dataclass
class _Printer:
    dry_run: bool
    as_json: bool

    def row(self, result: RowResult) -> None:
        if self.as_json:
            click.echo(orjson.dumps(result.to_wire()).decode())
        elif result.status == "error":
            err_console.print(
                f"row {result.row}: [red]error[/red]: {'; '.join(result.errors)}",
                highlight=False,
                markup=True,
            )
        elif self.dry_run:
            detail = f" ({', '.join(result.changes)})" if result.changes else ""
            where = f" id {result.id}" if result.id else ""
            click.echo(f"row {result.row}: {result.status}{where} {result.key}{detail}".rstrip())


def _summary(entity: str, result: ImportResult, as_json: bool) -> None:
    if as_json:
        click.echo(orjson.dumps({"summary": result.to_wire()}).decode())
        return
    counts = ", ".join(f"{n} {k}" for k, n in result.counts.items())
    verb = "Dry run of" if result.dry_run else "Imported"
    job = f" (job {result.job_id})" if result.job_id else ""
    resumed = f", resumed after row {result.resumed_from}" if result.resumed_from else ""
    rate = result.rows / result.seconds if result.seconds else 0.0
    err_console.print(
        f"{verb} {entity}{job}: {counts}{resumed}; {result.rows} rows in "
        f"{result.seconds:.1f} s ({rate:,.0f} rows/s)",
        highlight=False,
    )


@click.command("import")
@click.argument("entity", type=ENTITY_CHOICE)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what each row would do; write nothing.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write rejected rows here (the original row plus an 'error' column).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1),
    default=IMPORT_BATCH,
    show_default=True,
    help="Rows per transaction.",
)
@click.option(
    "--resume",
    "resume_job",
    type=int,
    default=None,
    help="Resume this import job (an unfinished job of the same file resumes anyway).",
)
@click.option(
    "--update-existing/--no-update-existing",
    default=True,
    show_default=True,
    help="Update records the natural key finds, or leave them as they are.",
)
@click.option(
    "--resource-id",
    type=int,
    envvar="MSPCRM_RESOURCE_ID",
    default=None,
    help="The resource the writes are attributed to (and the default owner).",
)
@click.option("--json", "as_json", is_flag=True, help="Print each row's result as JSON lines.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
@database_option
def import_command(
    entity: str,
    file: Path,
    dry_run: bool,
    rejects: Path | None,
    batch_size: int,
    resume_job: int | None,
    update_existing: bool,
    resource_id: int | None,
    as_json: bool,
    progress: bool,
    database: str | None,
) -> None:
    """Import a CSV file: mspcrm import companies clients.csv --dry-run."""
    from mspcrm.services.context import Actor
    from mspcrm.services.import_run import ImportOptions
    from mspcrm.services.import_run import Progress as ImportProgress
    from mspcrm.services.imports import ImportService

    options = ImportOptions(
        dry_run=dry_run,
        update_existing=update_existing,
        batch_size=batch_size,
        resume_job=resume_job,
        file_name=str(file),
    )
    printer = _Printer(dry_run, as_json)
    actor = Actor(resource_id=resource_id, channel="import")
    with open_services(database) as services, file.open("rb") as stream:
        importer = ImportService(services.db, services.registry, services.records)
        bar = _bar(progress)
        with bar:
            task = bar.add_task(f"{entity} ", total=file.stat().st_size, rows=0, rate="")
            started = time.monotonic()

            def advance(done: ImportProgress) -> None:
                elapsed = max(time.monotonic() - started, 1e-6)
                rate = f"{done.rows / elapsed:,.0f} rows/s"
                bar.update(task, completed=done.bytes_read, rows=done.rows, rate=rate)

            result = importer.run(
                entity,
                stream,
                actor,
                options,
                on_row=printer.row,
                progress=advance,
                rejects=rejects,
            )
    _summary(entity, result, as_json)
    if result.counts["errors"]:
        sys.exit(EXIT_USAGE)


def _bar(enabled: bool) -> Progress:
    """Progress in rows (with their rate) on a terminal's stderr; the time left is worked
    out from the share of the file read. Nothing at all on a pipe or a file."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not (enabled and err_console.is_terminal),
    )


@click.command("export")
@click.argument("entity", type=ENTITY_CHOICE)
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (default: standard output).",
)
@database_option
def export_command(entity: str, fmt: str, output: Path | None, database: str | None) -> None:
    """Export in the import format: mspcrm export companies -o companies.csv."""
    from mspcrm.services.exports import ExportService

    with open_services(database) as services:
        chunks = ExportService(services.registry, services.records).stream(entity, fmt)
        if output is None:
            for chunk in chunks:
                click.echo(chunk, nl=False)
            return
        with output.open("w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)


def register(cli: click.Group) -> None:
    cli.add_command(import_command)
    cli.add_command(export_command)
