"""Shared helpers for the import tests: write CSV files, run imports, count rows."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.import_run import ImportOptions, ImportResult, RowResult
from mspcrm.services.imports import ImportService
from mspcrm.store.schema import entity_table

ACTOR = Actor(resource_id=None, channel="import")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_import(
    services: Services,
    entity: str,
    path: Path,
    *,
    rejects: Path | None = None,
    **options: Any,
) -> tuple[ImportResult, list[RowResult]]:
    rows: list[RowResult] = []
    importer = ImportService(services.db, services.registry, services.records)
    with path.open("rb") as stream:
        result = importer.run(
            entity, stream, ACTOR, ImportOptions(**options), on_row=rows.append, rejects=rejects
        )
    return result, rows


def count(services: Services, entity: str) -> int:
    table = entity_table(services.registry.by_name(entity))
    with services.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
