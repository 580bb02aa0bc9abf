"""Import and export in the native API: ``/api/v1/imports/{entity}``, ``/api/v1/exports/{entity}``.

An import takes the CSV file as the request body (``text/csv``), spooled to a
temporary file as it arrives and refused with a 413 past ``max_import_bytes``,
and answers with the counts and the per-row report: the rows of a dry run (the
first ``MAX_REPORTED_ROWS``), the rejected rows otherwise. An export streams the
import format (CSV or JSON) page by page, holding its request slot until the end.

Rights (api/access.py): an import needs the level's import right and create and
update on the entity (a dry run: import and read); an export, the export right
and read on the entity.
"""

from __future__ import annotations

import tempfile
from typing import IO, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from mspcrm.api.access import Access, Find
from mspcrm.api.native import endpoint, flag, path_int, query_int
from mspcrm.errors import PayloadTooLargeError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.exports import FORMATS, ExportService
from mspcrm.services.import_run import ERROR, ImportOptions, RowResult
from mspcrm.services.imports import ImportService
from mspcrm.services.permissions import Right

SPOOL_BYTES = 8 * 1024 * 1024
MAX_REPORTED_ROWS = 10_000  # rows of a report kept in the answer (the counts cover all)
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}

IMPORT = Access(
    (Right.IMPORT, Right.CREATE, Right.UPDATE), Find.PATH, dry_run=(Right.IMPORT, Right.READ)
)
IMPORT_JOB = Access((Right.IMPORT,), Find.ALL)
EXPORT = Access((Right.EXPORT, Right.READ), Find.PATH)


def _options(request: Request) -> ImportOptions:
    options = ImportOptions(
        dry_run=flag(request, "dryRun"),
        update_existing=flag(request, "updateExisting", True),
        resume_job=query_int(request, "resume"),
        file_name=request.query_params.get("fileName", "upload.csv"),
    )
    batch = query_int(request, "batchSize")
    if batch is not None:
        options.batch_size = batch
    return options


async def spool_body(request: Request, spool: IO[bytes], max_bytes: int) -> int:
    """Copy the body into ``spool`` as it arrives; a 413 as soon as it passes ``max_bytes``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLargeError(
            f"The import file is over the limit of {max_bytes} bytes (max_import_bytes)"
        )
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLargeError(
                f"The import file is over the limit of {max_bytes} bytes (max_import_bytes)"
            )
        spool.write(chunk)
    spool.seek(0)
    return size


async def import_file(request: Request, services: Services, actor: Actor) -> Any:
    options = _options(request)
    word = request.path_params["entity"]
    rows: list[dict[str, Any]] = []
    omitted = [0]

    def keep(result: RowResult) -> None:
        if not (options.dry_run or result.status == ERROR):
            return
        if len(rows) < MAX_REPORTED_ROWS:
            rows.append(result.to_wire())
        else:
            omitted[0] += 1

    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        await spool_body(request, spool, services.settings.max_import_bytes)
        importer = ImportService(services.db, services.registry, services.records)
        writer = Actor(actor.resource_id, "import", actor.api_user_id, actor.security_level)
        result = await run_in_threadpool(
            lambda: importer.run(word, spool, writer, options, on_row=keep)
        )
    return {**result.to_wire(), "rows": rows, "rowsOmitted": omitted[0]}


async def import_job(request: Request, services: Services, actor: Actor) -> Any:
    importer = ImportService(services.db, services.registry, services.records)
    job = await run_in_threadpool(importer.job, path_int(request, "id"))
    return job.to_wire()


async def export_file(request: Request, services: Services, actor: Actor) -> Any:
    fmt = request.query_params.get("format", "csv").lower()
    if fmt not in FORMATS:
        raise ValidationError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    exporter = ExportService(services.registry, services.records)
    chunks = await run_in_threadpool(exporter.stream, request.path_params["entity"], fmt)
    return StreamingResponse(chunks, media_type=MEDIA[fmt])


def routes() -> list[Route]:
    return [
        Route("/api/v1/imports/jobs/{id}", endpoint(import_job, IMPORT_JOB), methods=["GET"]),
        Route("/api/v1/imports/{entity}", endpoint(import_file, IMPORT), methods=["POST"]),
        Route("/api/v1/exports/{entity}", endpoint(export_file, EXPORT), methods=["GET"]),
    ]
