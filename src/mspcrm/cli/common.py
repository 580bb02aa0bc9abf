"""What every command shares: the database option, output formats, error handling, targets."""

from __future__ import annotations

import csv
import functools
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mspcrm import errors
from mspcrm.config import Settings, load_settings

if TYPE_CHECKING:
    from mspcrm.services.crm import Services

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_DATABASE = Settings.database_url  # mspcrm.db in the current folder
TABLE_ROWS = 1000  # more rows than this print as lines even on a terminal
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_CONFLICT = 1, 2, 3, 4


def from_root(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An option left out after the command takes the value given before it
    (``mspcrm --profile tenant companies search acme``)."""
    if value is not None or param.name is None:
        return value
    return ctx.find_root().params.get(param.name)


def database_option(fn: F) -> F:
    return click.option(
        "--database",
        "database",
        envvar="MSPCRM_DATABASE_URL",
        default=None,
        callback=from_root,
        help="SQLite file path or postgresql://... URL (env MSPCRM_DATABASE_URL). "
        "Default: mspcrm.db in the current folder.",
    )(fn)


def output_options(fn: F) -> F:
    """``--json`` and ``--csv`` for every command that prints records."""
    fn = click.option("--csv", "as_csv", is_flag=True, help="Print CSV (for spreadsheets).")(fn)
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")(fn)


def settings_for(database: str | None, **overrides: Any) -> Settings:
    return load_settings(database_url=database, **overrides)


@contextmanager
def open_services(database: str | None, *, create: bool = False) -> Iterator[Services]:
    """The services of a local database, for the commands that work on one only. Unless
    ``create``, the default ``mspcrm.db`` must exist already; a remote target (``--url``,
    ``--profile`` or ``MSPCRM_URL``) with no ``--database`` is refused, never ignored."""
    from mspcrm.services.crm import build_services

    if database is None:
        refuse_remote_target()
        if not create:
            require_default_database()
    services = build_services(settings_for(database))
    try:
        yield services
    finally:
        services.close()


def refuse_remote_target() -> None:
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root().params if ctx is not None else {}
    if root.get("url") or root.get("profile") or os.environ.get("MSPCRM_URL"):
        command = ctx.command_path if ctx is not None else "this command"
        raise errors.ValidationError(
            f"`{command}` works on a local database only (it runs the server's own "
            "services in this process): give --database PATH_OR_URL, or run it on the "
            "server's machine; remote servers are reached through the entity, workflow "
            "and duplicate commands"
        )


def exit_code(exc: errors.MspcrmError) -> int:
    if isinstance(exc, errors.NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, errors.ConflictError):
        return EXIT_CONFLICT
    if isinstance(exc, errors.ValidationError):
        return EXIT_USAGE
    return EXIT_ERROR


def fail(exc: errors.MspcrmError) -> None:
    for message in exc.errors:
        err_console.print(f"[red]error:[/red] {message}", highlight=False)
    sys.exit(exit_code(exc))


def print_json(value: Any) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def print_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    names = list(columns or _all_columns(rows))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in names})
    click.echo(out.getvalue(), nl=False)


def _all_columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return "" if value is None else value


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "") -> None:
    """A table on a terminal; on a pipe or file, plain tab-separated lines (a header, then
    one line a row; nothing cut, no box drawing) that ``cut``, ``awk`` and ``sort`` read."""
    if not console.is_terminal:
        print_tsv(rows, columns)
        return
    if len(rows) > TABLE_ROWS:  # a table that size takes minutes to lay out; lines do not
        err_console.print(f"{len(rows):,} rows: printed as lines (--csv or --json for files)")
        print_tsv(rows, columns)
        return
    table = Table(*columns, title=title or None)
    for row in rows:
        table.add_row(*(Text(str(_cell(row.get(c)))) for c in columns))  # data, never markup
    console.print(table)


def print_tsv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    names = list(columns or _all_columns(rows))
    lines = ["\t".join(names)]
    lines.extend("\t".join(_tsv_cell(row.get(c)) for c in names) for row in rows)
    click.echo("\n".join(lines))


def _tsv_cell(value: Any) -> str:
    text = str(_cell(value))
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    as_json: bool,
    as_csv: bool,
    title: str = "",
) -> None:
    """Records as a table (default), JSON or CSV."""
    if as_json:
        print_json(list(rows))
    elif as_csv:
        print_csv(rows)
    else:
        print_table(rows, columns, title)


def entity_group(cli: click.Group, name: str, help_text: str) -> click.Group:
    """The command group of an entity (``mspcrm companies ...``), created on first use, so
    several command modules can add commands to the same group in any load order."""
    found = cli.commands.get(name)
    if isinstance(found, click.Group):
        return found
    group = click.Group(name=name, help=help_text)
    cli.add_command(group)
    return group


def require_default_database() -> None:
    """The default ``mspcrm.db`` must exist: a command run in the wrong folder says so
    rather than creating an empty database there and answering from it."""
    if not Path(DEFAULT_DATABASE).exists():
        raise errors.NotFoundError(
            f"No database here: {Path(DEFAULT_DATABASE).resolve()} does not exist. "
            "Run the command where your mspcrm.db is, pass --database PATH_OR_URL "
            "(or set MSPCRM_DATABASE_URL), or create one with `mspcrm db upgrade` "
            "(`mspcrm serve --demo` adds demo data)."
        )


def prompt_secret() -> str | None:
    """``--secret`` left out on a terminal: asked for, not echoed (MSPCRM_SECRET still wins)."""
    if os.environ.get("MSPCRM_SECRET") or not sys.stdin.isatty():
        return None
    return str(click.prompt("Secret", hide_input=True))


def with_target(fn: F) -> F:
    """Add the target options and hand the command an open ``Target`` (local or remote)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from mspcrm.targets import open_target

        options = {name: kwargs.pop(name) for name in TARGET_OPTIONS}
        remote = bool(options["url"] or options["profile"] or os.environ.get("MSPCRM_URL"))
        if not remote and options["database"] is None:
            require_default_database()
        if remote and options["url"] and options["secret"] is None:
            options["secret"] = prompt_secret()
        with open_target(
            database=options["database"],
            url=options["url"],
            username=options["username"],
            secret=options["secret"],
            integration_code=options["integration_code"],
            profile=options["profile"],
            resource_id=options["acting_resource"],
            channel="cli",
        ) as target:
            return fn(*args, target=target, **kwargs)

    decorated: Any = wrapper
    decorated = click.option(
        "--as",
        "acting_resource",
        type=int,
        default=None,
        help="Local database: the resource id the change is made as (env MSPCRM_RESOURCE_ID).",
    )(decorated)
    decorated = click.option(
        "--profile",
        default=None,
        envvar="MSPCRM_PROFILE",
        callback=from_root,
        help="A saved profile (mspcrm profiles add).",
    )(decorated)
    decorated = click.option(
        "--integration-code",
        default=None,
        callback=from_root,
        help="Remote: ApiIntegrationCode (env MSPCRM_INTEGRATION_CODE).",
    )(decorated)
    decorated = click.option(
        "--secret",
        default=None,
        callback=from_root,
        help="Remote: the API user's secret (env MSPCRM_SECRET).",
    )(decorated)
    decorated = click.option(
        "--username",
        default=None,
        callback=from_root,
        help="Remote: the API user's name (env MSPCRM_USERNAME).",
    )(decorated)
    decorated = click.option(
        "--url",
        default=None,
        callback=from_root,
        help="A remote Autotask-compatible server or zone (env MSPCRM_URL); "
        "without it, the local database.",
    )(decorated)
    return database_option(decorated)  # type: ignore[no-any-return]


TARGET_OPTIONS = (
    "database",
    "url",
    "username",
    "secret",
    "integration_code",
    "profile",
    "acting_resource",
)
