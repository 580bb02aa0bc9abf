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


@click.group(cls=Cli)
@click.version_option(__version__, prog_name="mspcrm")
def cli() -> None:
    """mspcrm: a self-hosted CRM for MSPs that speaks the Autotask PSA REST API."""


def _load_commands() -> None:
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{module.name}").register(cli)


_load_commands()


def main() -> None:
    cli()
