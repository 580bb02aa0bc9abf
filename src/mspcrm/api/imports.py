"""Import and export in the native API: ``/api/v1/imports/{entity}``, ``/api/v1/exports/{entity}``.

An import takes the CSV file as the request body (``text/csv``), spooled to a
temporary file as it arrives (no size cap), and answers with the counts and
the per-row report: every row for a dry run, the rejected rows otherwise. An
export streams the import format (CSV or JSON) page by page.
"""

from __future__ import annotations

import tempfile
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from mspcrm.api.credentials import caller
from mspcrm.api.native import endpoint, path_int, query_int
from mspcrm.api.responses import error_response, unexpected_response
from mspcrm.errors import MspcrmError, PermissionDeniedError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.exports import ExportService
from mspcrm.services.import_run import ERROR, ImportOptions, RowResult
from mspcrm.services.imports import ImportService

SPOOL_BYTES = 8 * 1024 * 1024
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
TRUE = ("1", "true", "yes")


def _flag(request: Request, name: str, default: bool) -> bool:
    raw = request.query_params.get(name)
    return default if raw is None else raw.strip().lower() in TRUE


def _options(request: Request) -> ImportOptions:
    options = ImportOptions(
        dry_run=_flag(request, "dryRun", False),
        update_existing=_flag(request, "updateExisting", True),
        resume_job=query_int(request, "resume"),
        file_name=request.query_params.get("fileName", "upload.csv"),
    )
    batch = query_int(request, "batchSize")
    if batch is not None:
        options.batch_size = batch
    return options


async def import_file(request: Request, services: Services, actor: Actor) -> Any:
    options = _options(request)
    word = request.path_params["entity"]
    rows: list[dict[str, Any]] = []

    def keep(result: RowResult) -> None:
        if options.dry_run or result.status == ERROR:
            rows.append(result.to_wire())

    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        importer = ImportService(services.db, services.registry, services.records)
        writer = Actor(actor.resource_id, "import", actor.api_user_id, actor.security_level)
        result = await run_in_threadpool(
            lambda: importer.run(word, spool, writer, options, on_row=keep)
        )
    return {**result.to_wire(), "rows": rows}


async def import_job(request: Request, services: Services, actor: Actor) -> Any:
    importer = ImportService(services.db, services.registry, services.records)
    job = await run_in_threadpool(importer.job, path_int(request, "id"))
    return job.to_wire()


async def export_file(request: Request) -> Response:
    services: Services = request.app.state.services
    fmt = request.query_params.get("format", "csv").lower()
    try:
        await caller(request, services)
        exporter = ExportService(services.registry, services.records)
        chunks = await run_in_threadpool(exporter.stream, request.path_params["entity"], fmt)
    except MspcrmError as exc:
        return error_response(exc, autotask=False)
    except Exception as exc:  # a real fault
        return unexpected_response(exc)
    return StreamingResponse(chunks, media_type=MEDIA[fmt])


async def _dry_run_allowed(request: Request, services: Services, actor: Actor) -> Any:
    """Imports write, so read-only users may only dry-run them."""
    if actor.security_level == "read-only" and not _flag(request, "dryRun", False):
        raise PermissionDeniedError("A read-only API user can only dry-run an import")
    return await import_file(request, services, actor)


def routes() -> list[Route]:
    return [
        Route("/api/v1/imports/jobs/{id}", endpoint(import_job), methods=["GET"]),
        Route("/api/v1/imports/{entity}", endpoint(_dry_run_allowed), methods=["POST"]),
        Route("/api/v1/exports/{entity}", export_file, methods=["GET"]),
    ]
