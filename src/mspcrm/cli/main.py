"""The ``mspcrm`` command: a root group; each module of ``mspcrm.cli.commands`` adds its commands.

A command module defines ``register(cli: click.Group) -> None``. Adding a module is all it
takes to add commands; this file does not change.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import click

from mspcrm import __version__
from mspcrm.cli import commands
from mspcrm.cli.common import fail
from mspcrm.errors import MspcrmError


class Cli(click.Group):
    """Turns mspcrm errors into one clear line each and an exit code scripts can trust:
    0 done, 1 error, 2 bad input, 3 not found, 4 conflict (a duplicate, a stale plan)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MspcrmError as exc:
            fail(exc)


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mspcrm")
@click.option("--database", default=None, help="Before or after the command: see its --help.")
@click.option("--url", default=None, help="A remote Autotask-compatible server (env MSPCRM_URL).")
@click.option("--username", default=None, help="Remote: the API user's name.")
@click.option("--secret", default=None, help="Remote: the API user's secret.")
@click.option("--integration-code", default=None, help="Remote: ApiIntegrationCode.")
@click.option("--profile", default=None, help="A saved profile (mspcrm profiles add).")
def cli(**connection: str | None) -> None:
    """mspcrm: a self-hosted CRM for MSPs that speaks the Autotask PSA REST API.

    Connection options may come before the command or after it; after it wins.
    """


def _load_commands() -> None:
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{module.name}").register(cli)


_load_commands()


def main() -> None:
    cli()
