"""``mspcrm serve`` and ``mspcrm db``."""

from __future__ import annotations

from typing import Any

import click

from mspcrm import __version__
from mspcrm.cli.common import console, database_option, open_services, settings_for
from mspcrm.config import COMPAT_MODES, Settings


@click.command()
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
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Proxies whose X-Forwarded-For is believed: comma-separated IPs or networks, * for "
    "any (default: none; env MSPCRM_FORWARDED_ALLOW_IPS).",
)
@click.option(
    "--header-timeout",
    type=float,
    default=None,
    help="Seconds a request's headers may take to arrive (default 10; 0: no limit).",
)
@click.option(
    "--body-idle-timeout",
    type=float,
    default=None,
    help="Seconds between two chunks of a request body (default 30; 0: no limit).",
)
@click.option(
    "--body-timeout",
    type=float,
    default=None,
    help="Seconds a whole request body may take (default 120; 0: no limit).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes on this database; request limits stay exact across them.",
)
@click.option("--access-log", is_flag=True, help="Log every request (method, path, status).")
@click.option(
    "--http",
    type=click.Choice(("auto", "httptools", "h11")),
    default=None,
    help="HTTP/1.1 parser (default auto: httptools when installed, else h11).",
)
def serve(
    host: str | None,
    port: int | None,
    database: str | None,
    compat: str | None,
    demo: bool,
    forwarded_allow_ips: str | None,
    header_timeout: float | None,
    body_idle_timeout: float | None,
    body_timeout: float | None,
    workers: int,
    access_log: bool,
    http: str | None,
) -> None:
    """Run the server (Autotask REST API at /ATServicesRest/V1.0/)."""
    import uvicorn

    from mspcrm.api.app import create_app
    from mspcrm.api.serving import server_config
    from mspcrm.services.crm import build_services
    from mspcrm.services.demo import load_demo

    settings = settings_for(
        database,
        host=host,
        port=port,
        compat=compat,
        forwarded_allow_ips=forwarded_allow_ips,
        header_timeout_seconds=header_timeout,
        body_idle_timeout_seconds=body_idle_timeout,
        body_timeout_seconds=body_timeout,
        http=http,
    )
    services = build_services(settings)
    if demo:
        _print_demo(load_demo(services), settings)
    processes = f", {workers} worker processes" if workers > 1 else ""
    console.print(
        f"mspcrm {__version__} on http://{settings.host}:{settings.port}/ATServicesRest/V1.0/ "
        f"(database {services.db.url.split('@')[-1]}, mode {settings.compat}{processes})"
    )
    log_level = "info" if access_log else "warning"
    if workers > 1:
        services.close()  # each worker opens its own
        _serve_workers(settings, workers, log_level=log_level, access_log=access_log)
        return
    app = create_app(settings, services=services)
    config = server_config(app, settings, log_level=log_level, access_log=access_log)
    uvicorn.Server(config).run()


def _serve_workers(settings: Settings, workers: int, **options: Any) -> None:
    """Several processes on one socket, each building the app from the same settings
    (handed over as MSPCRM_* variables); their metrics are pooled in a folder of files."""
    import os
    import shutil
    import tempfile

    from uvicorn.supervisors import Multiprocess

    from mspcrm.api.serving import server_config
    from mspcrm.config import settings_environment

    os.environ.update(settings_environment(settings))
    metrics = tempfile.mkdtemp(prefix="mspcrm-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics
    factory = "mspcrm.api.app:app_factory"
    config = server_config(factory, settings, factory=True, workers=workers, **options)
    try:
        socket = config.bind_socket()
        Multiprocess(config, sockets=[socket]).run()
    finally:
        shutil.rmtree(metrics, ignore_errors=True)


def _print_demo(result: Any, settings: Settings) -> None:
    from mspcrm.services.demo import DEMO_USERNAME

    if result is None:
        console.print(
            "Demo data already present; its credentials were printed when it was created. "
            "Only hashes are stored: issue new ones with `mspcrm resources new-secret "
            f"{DEMO_USERNAME}` and `mspcrm resources new-integration-code {DEMO_USERNAME}`.",
            highlight=False,
        )
        return
    base = f"http://{settings.host}:{settings.port}/ATServicesRest/V1.0"
    console.print(
        "[bold]Demo API user[/bold] (shown once; later: `mspcrm resources new-secret "
        f"{result.username}` and `new-integration-code`):"
    )
    console.print(f"  UserName:           {result.username}")
    console.print(f"  Secret:             {result.secret}")
    console.print(f"  ApiIntegrationCode: {result.integration_code}")
    console.print(
        f'  try: curl -sg \'{base}/Companies/query?search={{"filter":[{{"op":"exist",'
        f"\"field\":\"id\"}}]}}' -H 'UserName: {result.username}' -H 'Secret: {result.secret}' "
        f"-H 'ApiIntegrationCode: {result.integration_code}'"
    )


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@database_option
def db_upgrade(database: str | None) -> None:
    """Apply schema migrations and reference data (also done on every start)."""
    with open_services(database, create=True) as services:
        console.print(f"Database {services.db.url.split('@')[-1]} is up to date.")


def register(cli: click.Group) -> None:
    cli.add_command(serve)
    cli.add_command(db)
